/** Where Signet keeps its files inside the data directory. */
import { join } from 'node:path';

export function dataPaths(dataDir: string) {
  return {
    dataDir,
    events: join(dataDir, 'events.db'),
    readModels: join(dataDir, 'readmodels.db'),
    kek: join(dataDir, 'kek'),
    rootToken: join(dataDir, 'root-token'),
    caDir: join(dataDir, 'ca'),
    rootPem: join(dataDir, 'ca', 'root.pem'),
    chainPem: join(dataDir, 'ca', 'chain.pem'),
    tlsDir: join(dataDir, 'tls'),
    serverCertPem: join(dataDir, 'tls', 'server.pem'),
    serverKeyPem: join(dataDir, 'tls', 'server-key.pem'),
    replayDir: join(dataDir, 'replay'),
  };
}

export type DataPaths = ReturnType<typeof dataPaths>;
