/** ELF64 executables: parsing and validation, loading into an address space, the initial stack. */
export * from './elf';
export * from './loader';
export * from './stack';
export * from './symbols';
