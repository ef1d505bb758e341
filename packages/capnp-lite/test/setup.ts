// Property tests use fixed seeds so every run checks the same cases and failures are reproducible.
import fc from 'fast-check';

fc.configureGlobal({ seed: 20261121, numRuns: 100 });
