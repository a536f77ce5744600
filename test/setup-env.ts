import { loadEnvFiles } from '../src/env-files';

// Integration tests use the local stack's defaults from .env.example (overridable by the environment).
loadEnvFiles();
