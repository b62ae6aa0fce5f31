/**
 * Every YAML file in deploy/ and examples/ parses, and every CNI config embedded in one (a
 * NetworkAttachmentDefinition's spec.config) passes the plugin's own config parser, plugin by
 * plugin, the way a runtime hands it over (name and cniVersion added).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { parseNetConf } from "../cni/conf.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FILES = ["deploy", "examples"].flatMap((d) =>
  readdirSync(`${ROOT}/${d}`).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${d}/${f}`)
);

test("the manifests are there: a DaemonSet, three NADs and a pod", () => {
  assert.ok(FILES.includes("deploy/daemonset.yaml"));
  assert.equal(FILES.filter((f) => f.startsWith("examples/nad-")).length, 3);
  assert.ok(FILES.includes("examples/pod.yaml"));
});

for (const file of FILES) {
  test(`${file} parses, and its CNI configs pass the plugin's parser`, () => {
    const docs = parseAllDocuments(readFileSync(`${ROOT}/${file}`, "utf8"));
    for (const doc of docs) {
      assert.deepEqual(doc.errors, [], file);
      const obj = doc.toJS();
      if (obj?.kind === "NetworkAttachmentDefinition") {
        const list = JSON.parse(obj.spec.config);
        const tap = list.plugins.filter((p: { type: string }) => p.type === "tap");
        assert.ok(tap.length > 0, `${file} has a tap plugin`);
        for (const p of tap) {
          const conf = parseNetConf(
            JSON.stringify({ ...p, name: list.name, cniVersion: list.cniVersion }),
          );
          assert.equal(conf.name, list.name);
        }
      }
      if (obj?.kind === "Pod") {
        const nets = JSON.parse(obj.metadata.annotations["k8s.v1.cni.cncf.io/networks"]);
        assert.ok(nets.every((n: Record<string, string>) => n.name && n.interface && n.mac));
      }
      if (obj?.kind === "DaemonSet") {
        const c = obj.spec.template.spec.containers[0];
        assert.deepEqual(c.args.slice(0, 1), ["install"]);
        assert.equal(obj.spec.template.spec.volumes[0].hostPath.path, "/opt/cni/bin");
      }
    }
  });
}
