export * from './generate.ts';
