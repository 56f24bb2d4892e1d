import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientNetwork, rendezvous, type Candidate } from '../../../src/zone/subset.js';

const networks = Array.from({ length: 3000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
const share = (picks: string[], address: string) => (100 * picks.filter((p) => p === address).length) / picks.length;

describe('clientNetwork: the /24 or /56 a client shares its subset with', () => {
  const cases: [string, string][] = [
    ['10.1.2.3', '10.1.2.0/24'],
    ['::ffff:10.1.2.3', '10.1.2.0/24'],
    ['fd00:1:2:3:4::1', 'fd000001000200/56'],
    ['fd00:1:2:ff::1', 'fd000001000200/56'],
    ['fd00:1:2:1ff::1', 'fd000001000201/56'],
  ];
  for (const [client, network] of cases) it(`${client} -> ${network}`, () => assert.equal(clientNetwork(client), network));
});

describe('rendezvous: weighted, stable subsets', () => {
  const candidates: Candidate[] = [
    { address: '10.0.0.1', weight: 1 },
    { address: '10.0.0.2', weight: 1 },
    { address: '10.0.0.3', weight: 2 },
  ];

  it('networks split in proportion to weight (1, 1, 2 within 3 points of 25/25/50 over 3,000 networks)', () => {
    const picks = networks.map((network) => rendezvous(network, candidates, 1)[0]);
    for (const [address, expected] of [['10.0.0.1', 25], ['10.0.0.2', 25], ['10.0.0.3', 50]] as const) {
      assert.ok(Math.abs(share(picks, address) - expected) <= 3, `${address}: ${share(picks, address)}%`);
    }
  });

  it('the same network gets the same answer whatever the order of the candidates', () => {
    for (const network of networks.slice(0, 100)) {
      assert.deepEqual(rendezvous(network, candidates, 2), rendezvous(network, [...candidates].reverse(), 2));
    }
  });

  it('a candidate leaving moves only the networks it had', () => {
    const without = candidates.filter((c) => c.address !== '10.0.0.3');
    let moved = 0;
    for (const network of networks) {
      const before = rendezvous(network, candidates, 1)[0];
      const after = rendezvous(network, without, 1)[0];
      if (before !== '10.0.0.3') assert.equal(after, before, network);
      else moved++;
    }
    assert.ok(moved > 0);
  });
});
