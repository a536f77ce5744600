import { loadEnvFiles } from '../src/config/env-files';

// Integration tests use the local stack's defaults from .env.example (overridable by the environment).
loadEnvFiles();
