export { constTopLevelBindings, WIDENED_BY } from './const-bindings.mjs';
export { shiftGeneratedColumns } from './source-map-shift.mjs';
export { constBindings } from './tsup-plugin.mjs';
