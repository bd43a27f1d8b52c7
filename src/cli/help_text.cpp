// The help texts of oci-pod, oci-pod-fetch and oci-pod-render (declared in options.hpp).
#include <string>

#include "cli/options.hpp"

namespace ocipod {

namespace {

constexpr const char* global_help =
    "Global options (before or after the command):\n"
    "  --root DIR          the store (default: $OCI_POD_ROOT, else /var/lib/oci-pod)\n"
    "  --log-level LEVEL   error, warning, notice, info (default) or debug\n"
    "  -h, --help          show this help\n"
    "  --version           print the version\n";

constexpr const char* render_help_body =
    "Render an image into an OCI runtime bundle: DIR/config.json and DIR/rootfs, which any\n"
    "OCI runtime runs (`runc run -b DIR NAME`). Layers are extracted once into the store's\n"
    "layer cache and shared by every image that has them. IMAGE is a stored name (alpine,\n"
    "quay.io/team/app:1) or any SOURCE `oci-pod pull` takes; it is pulled when missing.\n"
    "COMMAND and its ARGs replace the image's Cmd. Options may come before or after IMAGE,\n"
    "but not after COMMAND. Prints DIR when done; progress goes to stderr.\n"
    "\n"
    "Options:\n"
    "  --bundle DIR                  the bundle to create: a new or empty directory (required)\n"
    "  --rootfs auto|overlay|copy    DIR/rootfs as an overlay mount of the cached layers, or a\n"
    "                                flattened copy (default auto: overlay when possible)\n"
    "  --entrypoint CMD              replace the image's Entrypoint (and drop its Cmd): a\n"
    "                                program, or a JSON array such as '[\"sh\",\"-c\"]'\n"
    "  -e, --env NAME=VALUE          set a variable; NAME alone takes this process's value\n"
    "  -u, --user USER[:GROUP]       run as this user (names from the image's /etc/passwd)\n"
    "  -w, --workdir DIR             working directory inside the container\n"
    "  --hostname NAME               the container's host name\n"
    "  -t, --tty                     give the process a terminal\n"
    "  --read-only                   mount the root file system read-only\n"
    "  --seccomp default|unconfined  the default seccomp filter (see README), or none\n"
    "  --jobs N                      layers extracted at once (default: one per CPU)\n"
    "  --max-layer-size SIZE         refuse a layer larger than SIZE uncompressed (such as\n"
    "                                512M or 10G; default 64G)\n"
    "  --max-layer-entries N         refuse a layer of more than N entries (default 2000000)\n"
    "  --json                        print a JSON report instead of DIR: {bundle, rootfs,\n"
    "                                layers: {reused, extracted}, bytesWritten, bytesCopied,\n"
    "                                seconds}\n"
    "  -q, --quiet                   no progress\n"
    "  --pull missing|always|never   when to pull IMAGE (default: missing)\n"
    "  --platform OS/ARCH[/VARIANT]  as for pull\n"
    "  --tls-verify[=true|false]     as for pull\n"
    "  --creds USER:PASSWORD         as for pull\n";

constexpr const char* pull_help_body =
    "SOURCE is one of\n"
    "  REF                     an image in a registry: alpine, quay.io/team/app:1.2,\n"
    "                          host:5000/repo@sha256:...  (registries.conf applies)\n"
    "  oci:DIR[:REF]           an OCI image layout directory\n"
    "  oci-archive:FILE[:REF]  a tar of an OCI image layout\n"
    "  docker-archive:FILE     the output of `docker save`\n"
    "\n"
    "Prints the stored name and the manifest digest when done.\n"
    "\n"
    "Options:\n"
    "  --platform OS/ARCH[/VARIANT]  choose from a multi-platform image (default: this host)\n"
    "  --tls-verify[=true|false]     require HTTPS and verify certificates (default: per\n"
    "                                registries.conf)\n"
    "  --creds USER:PASSWORD         credentials for the registry\n"
    "  -q, --quiet                   no progress; print only the digest\n";

constexpr const char* run_help_body =
    "Run IMAGE as a pod: pull it when missing, render it into the pod's own bundle (the\n"
    "cached layers, with a writable upper directory of its own), and run COMMAND (default:\n"
    "the image's Entrypoint and Cmd) in new namespaces. In the foreground the pod gets a\n"
    "machine-NAME.scope (when systemd runs this host) and oci-pod exits with the\n"
    "application's status (128+N when signal N ended it). With -d the pod runs as the\n"
    "transient service oci-pod-NAME.service (without systemd: under a small monitor\n"
    "process) and its name is printed. The pod stays, exited, until `oci-pod rm` (or --rm).\n"
    "\n"
    "Options:\n"
    "  --name NAME                   the pod's name, a machine name (default: generated)\n"
    "  --rm                          remove the pod when it ends\n"
    "  -d, --detach                  run in the background\n"
    "  -t, --tty                     give the application a terminal\n"
    "  -i, --interactive             keep standard input open\n"
    "  -e, --env NAME=VALUE          set a variable; NAME alone takes this process's value\n"
    "  --env-file FILE               read NAME=VALUE lines (# comments) from FILE\n"
    "  -v, --volume SRC:DST[:ro]     bind-mount the host directory SRC at DST\n"
    "  --tmpfs DST                   mount a fresh tmpfs at DST\n"
    "  -w, --workdir DIR             working directory inside the pod\n"
    "  -u, --user USER[:GROUP]       run as this user (names from the image's /etc/passwd)\n"
    "  --entrypoint CMD              replace the image's Entrypoint (and drop its Cmd)\n"
    "  --hostname NAME               the pod's host name\n"
    "  -m, --memory SIZE             memory limit (such as 64M or 2G)\n"
    "  --cpus N                      CPU time limit in CPUs (such as 0.5 or 2)\n"
    "  --pids-limit N                most tasks at once (-1: no limit)\n"
    "  --cap-add CAP, --cap-drop CAP add to or drop from the default capabilities (or ALL)\n"
    "  --read-only                   mount the root file system read-only\n"
    "  --seccomp default|unconfined  the default seccomp filter (see README), or none\n"
    "  --network host|private        share the host's network, or a private one (default)\n"
    "  --stop-signal SIGNAL          signal that stops the pod (default: the image's, else\n"
    "                                SIGTERM)\n"
    "  --stop-timeout SECONDS        SIGKILL this long after the stop signal (default 10)\n"
    "  --rootfs auto|overlay|copy    as for render\n"
    "  --pull missing|always|never   when to pull IMAGE (default: missing)\n"
    "  --platform, --tls-verify, --creds, -q   as for pull\n"
    "  --pod NAME                    run the pod file NAME.pod instead (see `oci-pod pod\n"
    "                                --help`); no IMAGE and no other option with it\n";

constexpr const char* gc_help_body =
    "Remove from the store what nothing uses: blobs and cached layers no image, pod or\n"
    "rendered bundle needs, ended pods that were run with --rm (or by a service) and left\n"
    "behind, and interrupted downloads and extractions older than a day. Waits until no\n"
    "pull or render runs, and holds the store while it works. Prints what was removed and a\n"
    "summary.\n"
    "\n"
    "Options:\n"
    "  -n, --dry-run        list what would be removed, remove nothing\n"
    "  --grace DURATION     keep ended pods younger than this (default 30m; s, m, h, d)\n"
    "  --json               print {dryRun, removed: [{kind, name, bytes}], objects, bytes,\n"
    "                       warnings}\n";

constexpr const char* pod_help_body =
    "Pod files describe pods for oci-pod@NAME.service: NAME.pod in /etc/oci-pod/pods,\n"
    "/run/oci-pod/pods or /usr/lib/oci-pod/pods (the first found; $OCI_POD_PODS_PATH, a\n"
    "colon-separated list, replaces these), plus the drop-ins NAME.pod.d/*.conf of all\n"
    "three, applied in the order of their names. The syntax is systemd's; the keys of the\n"
    "[Pod] section are in oci-pod.pod(5). `oci-pod run --pod NAME` runs one.\n"
    "\n"
    "Commands:\n"
    "  pod validate NAME|FILE   check a pod file and its drop-ins; every error names\n"
    "                           FILE:LINE and the key\n"
    "  pod create NAME IMAGE [COMMAND [ARG...]] [OPTIONS]\n"
    "                           write /etc/oci-pod/pods/NAME.pod (the first directory of the\n"
    "                           search path) from run's options: --entrypoint, -e, --env-file,\n"
    "                           -u, -w, --hostname, -v, --tmpfs, --read-only, --network,\n"
    "                           --cap-add, --cap-drop, -m, --cpus, --pids-limit,\n"
    "                           --stop-signal, --stop-timeout, --pull; an existing file is\n"
    "                           refused\n"
    "  pod list [--json]        the pod files found, with the state of oci-pod@NAME.service\n";

}  // namespace

std::string help_text(Command command, Program program) {
    if (program == Program::fetch)
        return std::string(
                   "Usage: oci-pod-fetch [OPTIONS] SOURCE\n\n"
                   "Pull an image into the store; the worker behind `oci-pod pull`.\n\n") +
               pull_help_body + "\n" + global_help;
    if (program == Program::gc)
        return std::string(
                   "Usage: oci-pod-gc [OPTIONS]\n\n"
                   "The garbage collector behind `oci-pod gc` (oci-pod-gc.service).\n") +
               gc_help_body + "\n" + global_help;
    if (program == Program::render)
        return std::string(
                   "Usage: oci-pod-render --bundle DIR [OPTIONS] IMAGE [COMMAND [ARG...]]\n\n"
                   "The worker behind `oci-pod render`.\n") +
               render_help_body + "\n" + global_help;
    std::string body;
    switch (command) {
        case Command::none:
            return std::string(
                       "Usage: oci-pod [OPTIONS] COMMAND [ARGS]\n\n"
                       "Pull OCI and Docker images into a local OCI image-layout store, render "
                       "them\n"
                       "into OCI runtime bundles, and run them as pods under systemd.\n\n"
                       "Commands:\n"
                       "  pull SOURCE     pull an image from a registry, a layout or an archive\n"
                       "  images          list the images in the store\n"
                       "  inspect REF     show an image's manifest and config\n"
                       "  rmi REF...      remove image names from the store\n"
                       "  store verify    re-hash every blob; quarantine damaged ones\n"
                       "  render IMAGE    make an OCI runtime bundle (config.json + rootfs)\n"
                       "  unrender DIR    unmount and remove a bundle made by render\n"
                       "  run IMAGE       run an image as a pod\n"
                       "  ps              list the pods\n"
                       "  status NAME     show a pod's details\n"
                       "  stop NAME...    stop pods (their stop signal, then SIGKILL)\n"
                       "  kill NAME...    send a signal to pods' applications\n"
                       "  rm NAME...      remove pods that have ended\n"
                       "  enter NAME      run a command inside a running pod\n"
                       "  logs NAME       show a pod's output\n"
                       "  pod validate|create|list   pod files for oci-pod@NAME.service\n"
                       "  gc              remove what nothing uses from the store\n\n") +
                   global_help + "\nRun 'oci-pod COMMAND --help' for a command's options.\n";
        case Command::pull:
            body = std::string(
                       "Usage: oci-pod pull [OPTIONS] SOURCE\n\n"
                       "Pull an image into the store.\n\n") +
                   pull_help_body;
            break;
        case Command::images:
            body =
                "Usage: oci-pod images [OPTIONS]\n\n"
                "List the images in the store: name, tag, manifest digest, manifest type (oci or\n"
                "docker), creation time and size (config and compressed layers).\n\n"
                "Options:\n"
                "  --json       print a JSON array of {name, digest, mediaType, type, created,\n"
                "               size}\n"
                "  --no-trunc   show full digests\n";
            break;
        case Command::inspect:
            body =
                "Usage: oci-pod inspect [OPTIONS] REF\n\n"
                "Print a stored image as JSON: {\"Name\", \"Digest\", \"Manifest\", "
                "\"Config\"}.\n\n"
                "Options:\n"
                "  -f, --format manifest|config|both   which documents to include (default: "
                "both)\n";
            break;
        case Command::rmi:
            body =
                "Usage: oci-pod rmi REF...\n\n"
                "Remove image names from the store. Blobs no other name uses are freed by the\n"
                "next garbage collection.\n";
            break;
        case Command::render:
            body =
                std::string(
                    "Usage: oci-pod render --bundle DIR [OPTIONS] IMAGE [COMMAND [ARG...]]\n\n") +
                render_help_body;
            break;
        case Command::unrender:
            body =
                "Usage: oci-pod unrender DIR\n\n"
                "Remove a bundle made by `oci-pod render`: unmount its rootfs and delete DIR.\n"
                "A directory render did not make is refused and left as it is.\n";
            break;
        case Command::run:
            body = std::string("Usage: oci-pod run [OPTIONS] IMAGE [COMMAND [ARG...]]\n\n") +
                   run_help_body;
            break;
        case Command::ps:
            body =
                "Usage: oci-pod ps [OPTIONS]\n\n"
                "List the running pods: name, image, state, the pid of the pod's init, when it\n"
                "was created, and its status (\"Up 3 minutes\", \"Exited (143) 2 minutes "
                "ago\").\n\n"
                "Options:\n"
                "  -a, --all   also list the pods that have ended\n"
                "  --json      print a JSON array of {name, image, state, pid, created, "
                "exitCode}\n";
            break;
        case Command::status:
            body =
                "Usage: oci-pod status [OPTIONS] NAME\n\n"
                "Show a pod: its image, state, init pid, machine and unit, bundle, command and\n"
                "how it ended.\n\n"
                "Options:\n"
                "  --json   print a JSON object\n";
            break;
        case Command::stop:
            body =
                "Usage: oci-pod stop [OPTIONS] NAME...\n\n"
                "Stop running pods, one after the other: the stop signal, then SIGKILL after the\n"
                "stop timeout; waits until each has ended. A pod run with -d under systemd is\n"
                "stopped through its unit. Every NAME is tried; the exit status is 1 when any\n"
                "could not be stopped.\n\n"
                "Options:\n"
                "  -t, --time SECONDS   SIGKILL this long after the stop signal (default: the\n"
                "                       pod's --stop-timeout)\n";
            break;
        case Command::kill:
            body =
                "Usage: oci-pod kill [OPTIONS] NAME...\n\n"
                "Send a signal to running pods' inits, which pass it on to the application.\n"
                "Every NAME is tried; the exit status is 1 when any could not be signalled.\n\n"
                "Options:\n"
                "  -s, --signal SIGNAL   the signal (default: SIGKILL)\n";
            break;
        case Command::rm:
            body =
                "Usage: oci-pod rm [OPTIONS] NAME...\n\n"
                "Remove pods that have ended: their bundles, writable layers, logs and state.\n"
                "Every NAME is tried; the exit status is 1 when any could not be removed.\n\n"
                "Options:\n"
                "  -f, --force   stop the pod first when it is running\n";
            break;
        case Command::enter:
            body =
                "Usage: oci-pod enter NAME [COMMAND [ARG...]]\n\n"
                "Run COMMAND (default: the pod's /bin/sh) inside a running pod: in all of its\n"
                "namespaces, its root, cgroup, environment, user and capabilities. Exits with\n"
                "COMMAND's status.\n";
            break;
        case Command::logs:
            body =
                "Usage: oci-pod logs [OPTIONS] NAME\n\n"
                "Show a pod's output: from the journal for a pod run with -d under systemd,\n"
                "else from the log the monitor keeps in the pod's state.\n\n"
                "Options:\n"
                "  -f, --follow   keep printing new output until the pod ends\n";
            break;
        case Command::pod:
        case Command::pod_validate:
        case Command::pod_create:
        case Command::pod_list:
            body = std::string("Usage: oci-pod pod validate|create|list ...\n\n") + pod_help_body;
            break;
        case Command::gc:
            body = std::string("Usage: oci-pod gc [OPTIONS]\n\n") + gc_help_body;
            break;
        case Command::run_pod:
            body =
                "Usage: oci-pod __run-pod NAME\n\n"
                "Run a detached pod from its record (the main process of oci-pod-NAME.service\n"
                "or of the monitor); not for direct use.\n";
            break;
        case Command::store:
        case Command::store_verify:
            body =
                "Usage: oci-pod store verify\n\n"
                "Re-hash every blob in the store. Damaged blobs are moved to ROOT/quarantine;\n"
                "blobs an image needs but the store lacks are listed. Exits 1 if any is found.\n";
            break;
    }
    return body + "\n" + global_help;
}

}  // namespace ocipod
