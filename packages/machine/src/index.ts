/**
 * @exov6/machine: hal-x86, the exokernel and the POSIX library OS assembled into a bootable system.
 */
export { Machine } from './machine';
export { MachineError } from './machine-error';
export type { MachineOptions, CommandOptions, CommandResult } from './machine';
export { installDefaultImage, imageDirectory, defaultImageEntries, stageDefaultRoot } from './image';
export type { ImageOptions, ImageSummary, ImageEntry } from './image';
export { RootDisk, FILE_SERVICE } from './root-disk';
export type { RootDiskOptions } from './root-disk';
export { parseArguments, CliUsageError } from './cli-arguments';
export type { CliOptions } from './cli-arguments';
export { fillFromDirectory, makeDiskImage } from './disk-image';
export type { FillOptions, FillSummary, DiskImageOptions, DiskImageSummary } from './disk-image';
