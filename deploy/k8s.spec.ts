import { has, kustomize, read, schemaDefaults, schemaVariables, SERVICES } from './testing/deploy-files';

const overlays = ['overlays/demo', 'overlays/production'];
const SECRET_KEYS = ['nats_password', 'redis_password', 'postgres_password', 'monitor_api_token'];

// kubectl (with its built-in kustomize) renders the manifests exactly as `kubectl apply -k` would.
(has('kubectl') ? describe : describe.skip).each(overlays)('deploy/k8s/%s (kubectl kustomize)', (overlay) => {
  const docs = kustomize(`deploy/k8s/${overlay}`);
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
  const deployments = byKind('Deployment');
  const namespace = overlay.endsWith('demo') ? 'cryptoscalp-demo' : 'cryptoscalp';

  it('renders the four services (and the simulator in the demo), all in the overlay namespace', () => {
    const names = deployments.map((d) => d.metadata.name).sort();
    expect(names).toEqual(overlay.endsWith('demo') ? [...SERVICES, 'exchange-simulator'].sort() : [...SERVICES].sort());
    for (const d of docs.filter((x) => x.kind !== 'Namespace')) expect(`${d.kind}/${d.metadata.name} ${d.metadata.namespace}`).toBe(`${d.kind}/${d.metadata.name} ${namespace}`);
    for (const d of docs) {
      expect(typeof d.apiVersion).toBe('string');
      expect(d.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });

  it.each(SERVICES)('%s: probes on its own port, startup + liveness on /health/liveness, readiness on /health/readiness', (name) => {
    const d = find('Deployment', name);
    const c = d.spec.template.spec.containers[0];
    const port = schemaDefaults(name).HTTP_PORT as number;
    expect(c.ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
    expect(c.env.find((e: any) => e.name === 'HTTP_PORT')?.value).toBe(String(port));
    expect(c.startupProbe.httpGet).toEqual({ path: '/health/liveness', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health/liveness', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health/readiness', port: 'http' });
    // The probes' paths are the ones libs/health serves.
    const controller = read('libs/health/src/lib/health.controller.ts');
    expect(controller).toMatch(/@Controller\('health'\)/);
    expect(controller).toMatch(/@Get\('liveness'\)/);
    expect(controller).toMatch(/@Get\('readiness'\)/);
    // The Service targets that port; the selector matches the pods.
    const svc = find('Service', name);
    expect(svc.spec.ports[0]).toMatchObject({ port, targetPort: 'http' });
    for (const [k, v] of Object.entries(svc.spec.selector)) expect(d.spec.template.metadata.labels[k]).toBe(v);
  });

  it.each(SERVICES)('%s: non-root, read-only root, no privilege escalation, no capabilities, resources, a PDB', (name) => {
    const d = find('Deployment', name);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    const pdb = byKind('PodDisruptionBudget').find((p) => p.spec.selector.matchLabels['app.kubernetes.io/name'] === name);
    expect(pdb).toBeDefined();
    // A PDB must never block every eviction of a Deployment's pods.
    const replicas = d.spec.replicas as number;
    if (pdb.spec.minAvailable !== undefined) expect(pdb.spec.minAvailable).toBeLessThan(replicas);
  });

  it.each(SERVICES)('%s: every ConfigMap and Secret it references exists (or is the documented external Secret), every key is in its schema', (name) => {
    const c = find('Deployment', name).spec.template.spec.containers[0];
    const vars = schemaVariables(name);
    for (const ref of c.envFrom) {
      const cm = find('ConfigMap', ref.configMapRef.name);
      expect(cm).toBeDefined();
      for (const key of Object.keys(cm.data)) expect(`${ref.configMapRef.name}: ${key}`).toBe(`${ref.configMapRef.name}: ${vars.includes(key) ? key : '(not in the schema)'}`);
    }
    for (const e of c.env) expect(`${name}: ${e.name}`).toBe(`${name}: ${vars.includes(e.name.replace(/_FILE$/, '')) || e.name === 'POD_IP' ? e.name : '(not in the schema)'}`);
    // Secrets: mounted as files under /run/secrets, read through *_FILE variables.
    const volume = find('Deployment', name).spec.template.spec.volumes.find((v: any) => v.secret);
    expect(volume.secret.secretName).toBe('cryptoscalp-secrets');
    const keys = volume.secret.items.map((i: any) => i.key);
    for (const k of keys) expect(SECRET_KEYS).toContain(k);
    for (const e of c.env.filter((x: any) => x.name.endsWith('_FILE'))) expect(keys).toContain(e.value.replace('/run/secrets/', ''));
    const secret = find('Secret', 'cryptoscalp-secrets');
    if (overlay.endsWith('demo')) {
      for (const k of keys) expect(secret.stringData[k]).toMatch(/^example-change-me/);
    } else {
      expect(secret).toBeUndefined(); // production: created out of band, never committed
    }
  });

  it.each(SERVICES)('%s: advertises its pod IP and own port as PUBLIC_URL (pod hostnames do not resolve)', (name) => {
    const c = find('Deployment', name).spec.template.spec.containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
    expect(env.POD_IP.valueFrom.fieldRef.fieldPath).toBe('status.podIP');
    expect(env.PUBLIC_URL.value).toBe(`http://$(POD_IP):${schemaDefaults(name).HTTP_PORT}`);
    expect(c.env.findIndex((e: any) => e.name === 'POD_IP')).toBeLessThan(c.env.findIndex((e: any) => e.name === 'PUBLIC_URL'));
    expect(env.INSTANCE_ID.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
  });

  it('the gateway has an HPA targeting its Deployment; network policies select existing pods and named ports', () => {
    const hpa = find('HorizontalPodAutoscaler', 'market-data-gateway');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'market-data-gateway' });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    const podLabels = deployments.map((d) => d.spec.template.metadata.labels);
    const policies = byKind('NetworkPolicy');
    expect(policies.length).toBeGreaterThan(0);
    for (const p of policies) {
      const sel = p.spec.podSelector;
      const matches = podLabels.filter(
        (l) =>
          Object.entries(sel.matchLabels ?? {}).every(([k, v]) => l[k] === v) &&
          (sel.matchExpressions ?? []).every((e: any) => e.operator === 'In' && e.values.includes(l[e.key])),
      );
      expect(`${p.metadata.name}: ${matches.length > 0}`).toBe(`${p.metadata.name}: true`);
      for (const rule of p.spec.ingress ?? []) for (const port of rule.ports ?? []) expect(port.port).toBe('http');
    }
    expect(find('NetworkPolicy', 'cryptoscalp-default-deny').spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });
});
