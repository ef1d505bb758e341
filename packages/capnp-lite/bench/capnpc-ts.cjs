/**
 * Runs the capnpc-ts 0.7 plugin (request on stdin, files written to the working directory) with TypeScript
 * 4.7: the plugin uses TypeScript's old node factories, whose signatures changed in 4.8
 * (jdiaz5513/capnp-ts#178), and its own dependency range resolves to 4.9. The devDependency
 * `typescript-4.7` (npm:typescript@4.7.4) is substituted wherever the plugin requires `typescript`.
 */
const Module = require('node:module');

const typescript47 = require.resolve('typescript-4.7');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === 'typescript' ? typescript47 : request, ...rest);
};

// The plugin calls the deprecated factories on every node; their warnings are noise here.
const warn = console.warn;
console.warn = (...args) => {
  if (!String(args[0]).startsWith('DeprecationWarning:')) warn(...args);
};

require('capnpc-ts').main();
