export * from './client.ts';
export * from './headers.ts';
export * from './http.ts';
export * from './schemas.ts';
