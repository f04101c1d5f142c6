/**
 * The router contract: what every {@link Router} (`src/routers/`) must do, whatever the mesh. Run it
 * with {@link describeRouterContract} for each router, on the in-memory cluster and, where the mesh's
 * CRDs are installed, on the real API server. The router-specific parts (which objects, how a user's
 * object looks, how another writer reverts a split) come from the {@link RouterContractSubject}.
 *
 * The contract, from `router.ts` and the routers' common rules:
 * - the router requires a cluster;
 * - reconcile creates the objects at primary 100 / canary 0, and a second reconcile writes nothing;
 * - getRoutes reads back what setRoutes wrote, the weights adding up to 100, and names the object
 *   carrying the split when it is missing;
 * - setRoutes writes nothing when the objects already say so, and one merge patch when they do not;
 * - reconcile keeps the stored split when the spec changes, and labels and annotations other writers
 *   added;
 * - a split changed by another writer is set back by the next setRoutes;
 * - weights that are not whole percentages adding up to 100, and mirroring by a router that cannot
 *   mirror, are refused before any write;
 * - an object controlled by another controller is refused (checkOwnership, reconcile, setRoutes)
 *   before anything is written, naming the object and its controller;
 * - objects left by a deleted Canary of the same name are adopted, keeping their split;
 * - what the router created goes with the Canary (garbage collected through its ownerReference);
 * - a user's object is taken over without an ownerReference and restored exactly by finalize
 *   (`revertOnDeletion`); one Fledge created is left routing 100% to the primary; one it never
 *   took over is not touched; an unreadable saved original is named.
 */
import type { ResolvedCanary } from '../../src/api/defaults.js';
import { describeKey, keyOf, type Cluster, type KubeObject, type ObjectKey } from '../../src/kube/cluster.js';
import { API, objectKey } from '../../src/kube/resources.js';
import { OwnershipConflictError } from '../../src/kube/owner-references.js';
import { ORIGINAL_CONFIGURATION_ANNOTATION, type SpecObject } from '../../src/routers/owned-object.js';
import { RouterError, type RouteTargets, type Router, type Routes } from '../../src/routers/router.js';
import { eventually } from '../support/eventually.js';
import { countingCluster, type WriteVerb } from './counting-cluster.js';

// Environments whose cluster does not count writes wrap it with this.
export { countingCluster, type WriteVerb } from './counting-cluster.js';

/** The variants of the fixture canary a subject provides. */
export type CanaryVariant =
  /** The canary of most tests. */
  | 'base'
  /** The same canary with a changed route spec (hosts, timeout, ...): the split must survive it. */
  | 'changed'
  /** Blue/green with `analysis.mirror`, for routers that mirror; the subject returns undefined otherwise. */
  | 'mirror';

/** One router under the contract. */
export interface RouterContractSubject {
  /** Shown in the test names, e.g. `IstioRouter`. */
  name: string;
  /** The router, built as the factory builds it (`{ cluster }`). */
  makeRouter(cluster: Cluster): Router;
  /** Whether the router mirrors traffic (`analysis.mirror`); the `mirror` variant is then required. */
  mirrors: boolean;
  /** The fixture canary in `namespace`; `uid` gives an older Canary of the same name. */
  canary(namespace: string, variant: CanaryVariant, uid?: string): ResolvedCanary | undefined;
  targets: RouteTargets;
  /** Keys of every object `reconcile` writes for the base canary. */
  ownedKeys(canary: ResolvedCanary): ObjectKey[];
  /** The object carrying the split as the user had it before installing Fledge (to be taken over). */
  userObject(canary: ResolvedCanary): SpecObject;
  /** Another writer (a GitOps tool) sets the stored split back to primary 100 / canary 0. */
  revertSplit(cluster: Cluster, canary: ResolvedCanary): Promise<void>;
  /**
   * For routers whose route spec lives outside the Canary (NGINX copies the user's Ingress): another
   * writer changes that source, as the `changed` variant changes the Canary for the others.
   */
  changeSource?(cluster: Cluster, canary: ResolvedCanary): Promise<void>;
}

/** Where the contract runs: a cluster, a count of its writes, and a clean-up. */
export interface RouterContractEnvironment {
  cluster: Cluster;
  namespace: string;
  /** Creates, replaces, patches and deletes made through `cluster` so far. */
  writes(): number;
  cleanup(): Promise<void>;
}

/** What the environment does that changes which cases can be set up in it. */
export interface ContractOptions {
  /** A garbage collector deletes objects whose owner is gone (a real control plane). */
  collectsGarbage?: boolean;
}

const SPLITS: Routes[] = [
  { primary: 90, canary: 10, mirrored: false },
  { primary: 37, canary: 63, mirrored: false },
  { primary: 0, canary: 100, mirrored: false },
  { primary: 100, canary: 0, mirrored: false },
];

const FOREIGN_OWNER = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Rollout',
  name: 'someone-else',
  uid: '00000000-0000-4000-8000-0000000000ff',
  controller: true,
};

/** Registers the router contract tests for one router. */
export function describeRouterContract(
  subject: RouterContractSubject,
  makeEnvironment: () => Promise<RouterContractEnvironment>,
  options: ContractOptions = {},
): void {
  describe(`Router contract: ${subject.name}`, () => {
    let env: RouterContractEnvironment;
    let router: Router;
    /** The router's own writes, by verb (the cases' set-up writes through `env.cluster` directly). */
    let routerWrites: () => Record<WriteVerb, number>;
    let canary: ResolvedCanary;

    const variant = (v: CanaryVariant, uid?: string): ResolvedCanary => {
      const c = subject.canary(env.namespace, v, uid);
      if (!c) throw new Error(`${subject.name}: no ${v} canary`);
      return c;
    };
    const stored = async (key: ObjectKey): Promise<SpecObject> => {
      const object = await env.cluster.get<SpecObject>(key);
      if (!object) throw new Error(`${key.kind} ${key.namespace}/${key.name} not found`);
      return object;
    };

    beforeEach(async () => {
      env = await makeEnvironment();
      const counted = countingCluster(env.cluster);
      router = subject.makeRouter(counted.cluster);
      routerWrites = counted.byVerb;
      canary = variant('base');
    });
    afterEach(async () => {
      await env.cleanup();
    });

    it('requires a cluster', () => {
      expect(() => subject.makeRouter(undefined as never)).toThrow(RouterError);
      expect(() => subject.makeRouter(undefined as never)).toThrow(/options\.cluster is required/);
    });

    it('reconcile creates the objects at primary 100, and a second reconcile writes nothing', async () => {
      await router.reconcile(canary, subject.targets);
      for (const key of subject.ownedKeys(canary)) await stored(key);
      expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });

      const before = env.writes();
      await router.reconcile(variant('base'), subject.targets);
      expect(env.writes()).toBe(before);
    });

    it('getRoutes reads back every split setRoutes wrote, adding up to 100', async () => {
      await router.reconcile(canary, subject.targets);
      for (const split of SPLITS) {
        await router.setRoutes(canary, split);
        const read = await router.getRoutes(canary);
        expect(read).toEqual(split);
        expect(read.primary + read.canary).toBe(100);
      }
    });

    it('getRoutes names the object carrying the split when it is missing', async () => {
      const read = router.getRoutes(canary);
      await expect(read).rejects.toThrow(RouterError);
      await expect(read).rejects.toThrow(`${describeKey(keyOf(subject.userObject(canary)))} not found`);
    });

    it('setRoutes writes nothing when the objects already say so, and one merge patch when they do not', async () => {
      await router.reconcile(canary, subject.targets);
      await router.setRoutes(canary, { primary: 60, canary: 40, mirrored: false });
      const before = env.writes();
      await router.setRoutes(canary, { primary: 60, canary: 40, mirrored: false });
      await router.reconcile(variant('base'), subject.targets);
      await router.getRoutes(canary);
      await router.checkOwnership(canary);
      expect(env.writes()).toBe(before);

      const verbs = routerWrites();
      await router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false });
      expect(env.writes()).toBe(before + 1);
      expect(routerWrites()).toEqual({ ...verbs, patch: verbs.patch + 1 });
    });

    it('reconcile keeps the stored split when the spec changes', async () => {
      await router.reconcile(canary, subject.targets);
      await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
      const changed = variant('changed');
      await subject.changeSource?.(env.cluster, canary);
      const before = env.writes();
      await router.reconcile(changed, subject.targets);
      expect(env.writes()).toBeGreaterThan(before);
      expect(await router.getRoutes(changed)).toEqual({ primary: 70, canary: 30, mirrored: false });
    });

    it('keeps labels and annotations other writers added', async () => {
      await router.reconcile(canary, subject.targets);
      for (const key of subject.ownedKeys(canary)) {
        await env.cluster.patch(key, {
          metadata: { labels: { 'example.com/team': 'ops' }, annotations: { 'example.com/note': 'kept' } },
        });
      }
      await router.setRoutes(canary, { primary: 80, canary: 20, mirrored: false });
      await router.reconcile(variant('changed'), subject.targets);
      for (const key of subject.ownedKeys(canary)) {
        const object = await stored(key);
        expect(object.metadata.labels).toMatchObject({ 'example.com/team': 'ops' });
        expect(object.metadata.annotations).toMatchObject({ 'example.com/note': 'kept' });
      }
    });

    it('sets a split changed by another writer back on the next setRoutes', async () => {
      await router.reconcile(canary, subject.targets);
      await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
      await subject.revertSplit(env.cluster, canary);
      expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });

      await router.setRoutes(canary, { primary: 70, canary: 30, mirrored: false });
      expect(await router.getRoutes(canary)).toEqual({ primary: 70, canary: 30, mirrored: false });
    });

    it('refuses weights that are not whole percentages adding up to 100, writing nothing', async () => {
      const bad: Routes[] = [
        { primary: 60, canary: 50, mirrored: false },
        { primary: 99.5, canary: 0.5, mirrored: false },
        { primary: 110, canary: -10, mirrored: false },
      ];
      for (const split of bad) await expect(router.setRoutes(canary, split)).rejects.toThrow(RouterError);
      expect(env.writes()).toBe(0);
    });

    // Registered only for routers that cannot mirror: the others have the mirror case below.
    if (!subject.mirrors) {
      it('refuses to mirror, writing nothing', async () => {
        await router.reconcile(canary, subject.targets);
        const before = env.writes();
        await expect(router.setRoutes(canary, { primary: 100, canary: 0, mirrored: true })).rejects.toThrow(
          RouterError,
        );
        expect(env.writes()).toBe(before);
      });
    }

    it('refuses objects another controller controls before writing anything', async () => {
      const user = subject.userObject(canary);
      for (const key of subject.ownedKeys(canary)) {
        const sameAsUser = keyOf(user).kind === key.kind && keyOf(user).name === key.name;
        await env.cluster.create<SpecObject>({
          apiVersion: key.apiVersion,
          kind: key.kind,
          metadata: { name: key.name, namespace: key.namespace, ownerReferences: [FOREIGN_OWNER] },
          spec: sameAsUser ? user.spec : {},
        });
        const before = env.writes();
        await expect(router.checkOwnership(canary)).rejects.toThrow(
          `${describeKey(key)} is controlled by ${FOREIGN_OWNER.kind} ${key.namespace}/${FOREIGN_OWNER.name}`,
        );
        await expect(router.reconcile(canary, subject.targets)).rejects.toThrow(OwnershipConflictError);
        if (sameAsUser) {
          await expect(
            router.setRoutes(canary, { primary: 50, canary: 50, mirrored: false }),
          ).rejects.toThrow(OwnershipConflictError);
        }
        expect(env.writes()).toBe(before);
        await env.cluster.delete(key);
      }
    });

    // On a real cluster the garbage collector deletes what a deleted Canary owned, racing the
    // adoption: the case cannot be set up there, and the in-memory run covers the logic.
    if (!options.collectsGarbage)
      it('adopts objects left by a deleted Canary of the same name, keeping their split', async () => {
        const older = variant('base', '00000000-0000-4000-8000-0000000000aa');
        await router.reconcile(older, subject.targets);
        await router.setRoutes(older, { primary: 80, canary: 20, mirrored: false });
        await router.reconcile(canary, subject.targets);
        for (const key of subject.ownedKeys(canary)) {
          expect((await stored(key)).metadata.ownerReferences).toEqual([
            expect.objectContaining({ uid: canary.uid, controller: true }),
          ]);
        }
        expect(await router.getRoutes(canary)).toEqual({ primary: 80, canary: 20, mirrored: false });
      });

    it('lets the garbage collector remove what it created, with the Canary', async () => {
      // The environment may already hold the Canary (a real API server needs a live owner).
      const canaryKey = objectKey(API.canary, env.namespace, canary.name);
      const owner =
        (await env.cluster.get<KubeObject>(canaryKey)) ??
        (await env.cluster.create<KubeObject & { spec: unknown }>({
          apiVersion: API.canary.apiVersion,
          kind: API.canary.kind,
          metadata: { name: canary.name, namespace: env.namespace },
          spec: canary.object.spec,
        }));
      const owned = variant('base', owner.metadata.uid);
      await router.reconcile(owned, subject.targets);
      await env.cluster.delete(canaryKey);
      await eventually(
        async () => {
          for (const key of subject.ownedKeys(owned)) expect(await env.cluster.get(key)).toBeUndefined();
        },
        { timeoutMs: 45_000, pollMs: 100 },
      );
    });

    it("takes over a user's object without an ownerReference and finalize restores it exactly", async () => {
      const user = subject.userObject(canary);
      const created = await env.cluster.create(user);
      await router.reconcile(canary, subject.targets);
      await router.setRoutes(canary, { primary: 40, canary: 60, mirrored: false });
      const taken = await stored(keyOf(user));
      expect(taken.metadata.ownerReferences ?? []).toEqual([]);
      expect(JSON.parse(taken.metadata.annotations?.[ORIGINAL_CONFIGURATION_ANNOTATION] ?? '{}')).toEqual({
        ...(user.metadata.labels ? { labels: user.metadata.labels } : {}),
        ...(user.metadata.annotations ? { annotations: user.metadata.annotations } : {}),
        spec: user.spec,
      });
      expect(await router.getRoutes(canary)).toEqual({ primary: 40, canary: 60, mirrored: false });

      await router.finalize(canary);
      const restored = await stored(keyOf(user));
      expect(restored.metadata.uid).toBe(created.metadata.uid);
      expect(restored.metadata.labels).toEqual(user.metadata.labels);
      expect(restored.metadata.annotations).toEqual(user.metadata.annotations);
      expect(restored.spec).toEqual(user.spec);
    });

    it('a taken-over object starts at primary 100', async () => {
      await env.cluster.create(subject.userObject(canary));
      await router.reconcile(canary, subject.targets);
      expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
    });

    it('finalize leaves objects it created routing 100% to the primary', async () => {
      await router.reconcile(canary, subject.targets);
      await router.setRoutes(canary, { primary: 0, canary: 100, mirrored: false });
      await router.finalize(canary);
      expect(await router.getRoutes(canary)).toEqual({ primary: 100, canary: 0, mirrored: false });
      for (const key of subject.ownedKeys(canary)) await stored(key);
    });

    it('finalize names the object when its saved original is unreadable', async () => {
      const user = subject.userObject(canary);
      const annotations = { ...user.metadata.annotations, [ORIGINAL_CONFIGURATION_ANNOTATION]: '{not json' };
      await env.cluster.create({ ...user, metadata: { ...user.metadata, annotations } });
      await expect(router.finalize(canary)).rejects.toThrow(
        `${describeKey(keyOf(user))}: annotation ${ORIGINAL_CONFIGURATION_ANNOTATION} is not valid JSON`,
      );
    });

    it('finalize does not touch a user object it never took over', async () => {
      await env.cluster.create(subject.userObject(canary));
      const before = env.writes();
      await router.finalize(canary);
      expect(env.writes()).toBe(before);
    });

    // Registered only for routers that mirror: the others have nothing to hold to it.
    if (subject.mirrors) {
      it('mirrors to the canary when asked, and stops', async () => {
        const mirror = variant('mirror');
        await router.reconcile(mirror, subject.targets);
        await router.setRoutes(mirror, { primary: 100, canary: 0, mirrored: true });
        expect(await router.getRoutes(mirror)).toEqual({ primary: 100, canary: 0, mirrored: true });
        const before = env.writes();
        await router.reconcile(mirror, subject.targets);
        expect(env.writes()).toBe(before);
        expect(await router.getRoutes(mirror)).toEqual({ primary: 100, canary: 0, mirrored: true });
        await router.setRoutes(mirror, { primary: 100, canary: 0, mirrored: false });
        expect(await router.getRoutes(mirror)).toEqual({ primary: 100, canary: 0, mirrored: false });
      });
    }
  });
}
