export {
  type EmbeddedOptions,
  type EmbeddedPostgres,
  PASSWORD_FILE,
  startEmbeddedPostgres,
} from './server.ts';
