import type { Logger } from 'pino';
import type { Config } from '../config/load.js';
import type { Source } from '../registry/source.js';
import { consulSource } from './consul/setup.js';
import { EtcdSource } from './etcd/source.js';
import { Etcd2Source } from './etcd2/source.js';
import { FileSource } from './file/source.js';
import { zooKeeperSource } from './zookeeper/setup.js';

/** The sources a configuration asks for. A new registry adds one line here. */
export function createSources(config: Config, log: Logger): Source[] {
  const sources: Source[] = [];
  if (config.file) sources.push(new FileSource(config.file, log.child({ source: 'file' })));
  if (config.consul) sources.push(consulSource(config.consul, config['consul-token-file'], log));
  if (config.zookeeper) sources.push(zooKeeperSource(config.zookeeper, config, log));
  if (config.etcd) sources.push(EtcdSource.fromConfig(config, process.env, log.child({ source: 'etcd' })));
  if (config.etcd2) sources.push(Etcd2Source.fromConfig(config, log.child({ source: 'etcd2' })));
  return sources;
}
