"""The Kubernetes base: kustomization complete, Deployment policy as the issue requires, selectors agreeing."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from settings_env import ALL_INTERFACES, check_env

REQUIRED_KINDS = {
    "Deployment", "Service", "ConfigMap", "Secret", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "NetworkPolicy", "PersistentVolumeClaim",
}


def load_base(base: Path) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The kustomization's resource files and the documents by kind (one document per file here)."""
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text(encoding="utf-8"))
    resources = list(kustomization.get("resources", []))
    docs: dict[str, dict[str, Any]] = {}
    for name in resources:
        path = base / name
        if path.is_file():
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if doc:
                    docs[doc["kind"]] = doc
    return resources, docs


def check_base(base: Path) -> list[str]:
    """Every problem of the kustomize base at ``base``."""
    resources, docs = load_base(base)
    problems = _check_listing(base, resources)
    missing = REQUIRED_KINDS - set(docs)
    problems += [f"{base}: no {kind} in the kustomize base" for kind in sorted(missing)]
    if missing:
        return problems
    problems += check_deployment(docs["Deployment"])
    problems += _check_selectors(docs)
    problems += _check_ingress(docs["Ingress"])
    problems += _check_config(docs)
    problems += _check_shared_workspace(docs)
    return problems


def _check_listing(base: Path, resources: list[str]) -> list[str]:
    files = {p.name for p in base.glob("*.yaml")} - {"kustomization.yaml"}
    problems = [f"{base}/kustomization.yaml lists {name}, which does not exist" for name in resources
                if name not in files]
    problems += [f"{base}/{name} is not listed in kustomization.yaml resources" for name in sorted(files)
                 if name not in resources]
    return problems


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def check_deployment(deployment: dict[str, Any]) -> list[str]:
    """Probes, resources, non-root, read-only root filesystem, writable /tmp and workspace, graceful stop."""
    where = "k8s Deployment"
    pod = deployment["spec"]["template"]["spec"]
    container = _container(deployment)
    problems = []
    probes = {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path in probes.items():
        got = container.get(probe, {}).get("httpGet", {}).get("path")
        if got != path:
            problems.append(f"{where}: {probe} must GET {path} (has {got!r})")
    resources = container.get("resources", {})
    for part in ("requests", "limits"):
        values = resources.get(part, {})
        if str(values.get("cpu")) != "500m" or str(values.get("memory")) != "1Gi":
            problems.append(f"{where}: resources.{part} must be cpu 500m / memory 1Gi (has {values})")
    pod_security = pod.get("securityContext", {})
    security = container.get("securityContext", {})
    if not (pod_security.get("runAsNonRoot") or security.get("runAsNonRoot")):
        problems.append(f"{where}: runAsNonRoot is not set")
    if int(pod_security.get("runAsUser", security.get("runAsUser", 0))) == 0:
        problems.append(f"{where}: runAsUser must be a non-zero uid (the image's 10001)")
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: readOnlyRootFilesystem must be true")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: allowPrivilegeEscalation must be false")
    if "ALL" not in security.get("capabilities", {}).get("drop", []):
        problems.append(f"{where}: capabilities must drop ALL")
    problems += _check_writable(pod, container, where)
    grace = int(pod.get("terminationGracePeriodSeconds", 30))
    if grace <= 30:
        problems.append(f"{where}: terminationGracePeriodSeconds {grace} leaves no room for http.shutdown_grace (30)")
    return problems


def _check_writable(pod: dict[str, Any], container: dict[str, Any], where: str) -> list[str]:
    empty_dirs = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
    claims = {v["name"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v}
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    problems = []
    if mounts.get("/tmp") not in empty_dirs:  # noqa: S108 - a mount path in the pod, not a file opened here
        problems.append(f"{where}: /tmp must be an emptyDir mount (the root filesystem is read-only)")
    if mounts.get("/workspace") not in empty_dirs | claims:
        problems.append(f"{where}: /workspace must be an emptyDir or a persistentVolumeClaim mount")
    return problems


def _check_shared_workspace(docs: dict[str, dict[str, Any]]) -> list[str]:
    """With several replicas, a claimed workspace must be ReadWriteMany (each replica mounts the same one)."""
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    claim = docs["PersistentVolumeClaim"]
    named = [v["persistentVolumeClaim"]["claimName"] for v in pod.get("volumes", []) if "persistentVolumeClaim" in v]
    problems = [f"k8s Deployment: claim {n} is not the base's {claim['metadata']['name']}" for n in named
                if n != claim["metadata"]["name"]]
    if named and int(docs["Deployment"]["spec"].get("replicas", 1)) > 1 and \
            "ReadWriteMany" not in claim["spec"].get("accessModes", []):
        problems.append("k8s PersistentVolumeClaim: replicas share the workspace, so it must be ReadWriteMany")
    return problems


def _pod_labels(docs: dict[str, dict[str, Any]]) -> dict[str, str]:
    labels: dict[str, str] = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    return labels


def _check_selectors(docs: dict[str, dict[str, Any]]) -> list[str]:
    labels = _pod_labels(docs)
    deployment = docs["Deployment"]
    selectors = {
        "Deployment": deployment["spec"]["selector"]["matchLabels"],
        "Service": docs["Service"]["spec"]["selector"],
        "PodDisruptionBudget": docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
        "NetworkPolicy": docs["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"],
    }
    problems = [
        f"k8s {kind}: selector {selector} does not select the Deployment's pods {labels}"
        for kind, selector in selectors.items()
        if not selector or any(labels.get(k) != v for k, v in selector.items())
    ]
    target = docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    if (target.get("kind"), target.get("name")) != ("Deployment", deployment["metadata"]["name"]):
        problems.append(f"k8s HorizontalPodAutoscaler: scales {target}, not the Deployment")
    ports = {p["name"] for p in _container(deployment).get("ports", [])}
    for port in docs["Service"]["spec"]["ports"]:
        if port.get("targetPort") not in ports:
            problems.append(f"k8s Service: targetPort {port.get('targetPort')!r} is not a container port {ports}")
    return problems


def _check_ingress(ingress: dict[str, Any]) -> list[str]:
    spec = ingress["spec"]
    problems = []
    tls_hosts = {h for entry in spec.get("tls", []) for h in entry.get("hosts", [])}
    if not tls_hosts:
        problems.append("k8s Ingress: no tls section (terminate TLS at the ingress)")
    for rule in spec.get("rules", []):
        if rule.get("host") not in tls_hosts:
            problems.append(f"k8s Ingress: host {rule.get('host')!r} is served without TLS")
        paths = {p["path"] for p in rule.get("http", {}).get("paths", [])}
        exposed = paths & {"/metrics", "/healthz", "/readyz", "/"}
        if exposed:
            problems.append(f"k8s Ingress: exposes {sorted(exposed)} publicly")
    return problems


SAMPLE_POD_IP = "10.1.2.3"  # stands for $(POD_IP): the address the kubelet and Prometheus use


def _container_env(container: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    """``env`` (the ConfigMap) plus the container's own ``env`` entries, ``$(VAR)`` expanded as the kubelet does."""
    merged = dict(env)
    for entry in container.get("env", []):
        if entry.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "status.podIP":
            merged[entry["name"]] = SAMPLE_POD_IP
        elif "value" in entry:
            merged[entry["name"]] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                                           lambda m: merged.get(m.group(1), m.group(0)), str(entry["value"]))
    return merged


def _probe_hosts(deployment: dict[str, Any]) -> list[str]:
    """The Host headers the kubelet's HTTP probes and a pod-IP Prometheus scrape send."""
    container = _container(deployment)
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    hosts = []
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        get = container.get(probe, {}).get("httpGet")
        if get is None:
            continue
        header = next((h["value"] for h in get.get("httpHeaders", []) if h["name"].lower() == "host"), None)
        port = ports.get(get.get("port"), get.get("port"))
        hosts.append(header or f"{get.get('host', SAMPLE_POD_IP)}:{port}")
    scrape_port = deployment["spec"]["template"]["metadata"].get("annotations", {}).get("prometheus.io/port")
    if scrape_port is not None:
        hosts.append(f"{SAMPLE_POD_IP}:{scrape_port}")
    return hosts


def _check_config(docs: dict[str, dict[str, Any]]) -> list[str]:
    container = _container(docs["Deployment"])
    env = _container_env(container, dict(docs["ConfigMap"].get("data", {})))
    refs = [ref.get("configMapRef", {}).get("name") for ref in container.get("envFrom", [])]
    problems = []
    if docs["ConfigMap"]["metadata"]["name"] not in refs:
        problems.append("k8s Deployment: does not load the ConfigMap with envFrom")
    args = container.get("args", [])
    public = "--host" in args and args[args.index("--host") + 1] == ALL_INTERFACES
    secret = docs["Secret"]
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    volumes = docs["Deployment"]["spec"]["template"]["spec"].get("volumes", [])
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, Path] = {}
        for volume in volumes:
            if volume.get("secret", {}).get("secretName") == secret["metadata"]["name"]:
                for key, value in secret.get("stringData", {}).items():
                    local = Path(tmp) / key
                    local.write_text(value, encoding="utf-8")
                    files[f"{mounts[volume['name']]}/{key}"] = local
        problems += check_env(
            env, "k8s ConfigMap + Deployment env", binds_publicly=public, files=files,
            probe_hosts=_probe_hosts(docs["Deployment"]),
        )
    if "--metrics-port" in args:
        metrics_port = int(args[args.index("--metrics-port") + 1])
        declared = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        if declared.get("metrics") != metrics_port:
            problems.append(f"k8s Deployment: --metrics-port {metrics_port} is not the container port 'metrics'")
        annotation = docs["Deployment"]["spec"]["template"]["metadata"].get("annotations", {}).get("prometheus.io/port")
        if annotation is not None and int(annotation) != metrics_port:
            problems.append(f"k8s Deployment: prometheus.io/port {annotation} is not --metrics-port {metrics_port}")
    return problems
