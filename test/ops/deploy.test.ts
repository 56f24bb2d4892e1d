import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';

// No Docker engine runs here: these read the files as Docker Compose, Docker and systemd would.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;

  it('runs ZooKeeper, etcd, Consul, dnsbridge and the demo', () => {
    assert.deepEqual(Object.keys(services).sort(), ['consul', 'demo', 'dnsbridge', 'etcd', 'zookeeper']);
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.match(service.image ?? '', /^[\w./-]+:v?\d+\.\d+\.\d+$/, `${name} image ${service.image}`);
    }
  });

  it('gives every service a health check, and starts dnsbridge and the demo once the registries are healthy', () => {
    for (const [name, service] of Object.entries(services)) assert.ok(service.healthcheck?.test.length, `${name} has a health check`);
    for (const name of ['dnsbridge', 'demo']) {
      assert.deepEqual(services[name].depends_on, {
        zookeeper: { condition: 'service_healthy' },
        etcd: { condition: 'service_healthy' },
        consul: { condition: 'service_healthy' },
      });
    }
    assert.match(services.dnsbridge.healthcheck!.test.join(' '), /\/readyz/);
  });

  it("keeps Consul's registrations in a data dir on a volume, not in -dev mode's memory", () => {
    const consul = services.consul as ComposeService & { volumes?: string[] };
    assert.ok(!consul.command!.includes('-dev'), 'not -dev');
    assert.ok(consul.command!.includes('-data-dir=/consul/data'));
    assert.deepEqual(consul.volumes, ['consul-data:/consul/data']);
  });

  it('publishes DNS on 1053 over UDP and TCP and the status page on 8053, on loopback only', () => {
    assert.deepEqual(services.dnsbridge.ports, ['127.0.0.1:1053:1053/udp', '127.0.0.1:1053:1053/tcp', '127.0.0.1:8053:8053/tcp']);
    for (const service of Object.values(services)) for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:/);
  });

  it('points dnsbridge at all three registries, and the demo registers one provider in each', () => {
    const flags = services.dnsbridge.command!.join(' ');
    for (const flag of ['--zookeeper=zookeeper:2181', '--etcd=http://etcd:2379', '--consul=http://consul:8500', '--listen=0.0.0.0:1053']) {
      assert.ok(flags.includes(flag), flag);
    }
    const demo = services.demo.command!.join('\n');
    for (const registry of ['--zookeeper zookeeper:2181', '--etcd http://etcd:2379', '--consul http://consul:8500']) {
      assert.match(demo, new RegExp(`^register \\d+ ${registry}$`, 'm'));
    }
    assert.match(demo, /register --service demo/);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds in one stage and runs from another, pinned, as a non-root user able to bind port 53', () => {
    const stages = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.equal(stages.length, 2);
    for (const image of stages) assert.match(image, /:\d+\.\d+\.\d+/);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /setcap cap_net_bind_service=\+ep/);
    assert.match(dockerfile, /^COPY --from=build /m);
  });
});

describe('deploy/dnsbridge.service', () => {
  const unit = read('deploy/dnsbridge.service');

  it('runs as its own user with only the capability to bind port 53, reloads on SIGHUP and stops on SIGTERM', () => {
    assert.match(unit, /^User=dnsbridge$/m);
    assert.match(unit, /^AmbientCapabilities=CAP_NET_BIND_SERVICE$/m);
    assert.match(unit, /^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.match(unit, /^KillSignal=SIGTERM$/m);
    assert.match(unit, /^ExecStart=\/usr\/bin\/node \S+\/dist\/src\/cli\.js serve --config \/etc\/dnsbridge\/dnsbridge\.yaml$/m);
  });

  it('comes with a configuration the bridge accepts, listening on port 53 with its own upstream', () => {
    // /etc/dnsbridge/services.yaml exists only on the host it is installed on.
    const config = loadConfig({ flags: { file: `${root}examples/services.yaml` }, env: {}, file: `${root}deploy/dnsbridge.yaml` });
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: 53 });
    assert.ok(config.upstream?.length, 'resolv.conf will name the bridge itself: the upstream must be given');
  });
});
