#!/usr/bin/python3
"""Write a deterministic OCI image layout (image-spec v1.1) for the benchmarks.

    make_layout.py OUT TAG --rootfs DIR [--split PREFIX[,PREFIX...]]...
    make_layout.py OUT TAG --smallfiles COUNT

--rootfs packs a directory tree. Each --split gives one layer holding the paths equal to or
under its prefixes; everything else (including the parents of the split prefixes) goes into a
first "rest" layer, so every layer's parent directories exist in a lower layer. The contents
of dev/, proc/ and sys/ are left out (the directories themselves stay).

--smallfiles synthesises one layer of COUNT small files (100-2000 bytes each) in 100
directories; sizes and contents derive from the file index only.

Same input, same bytes out: names sorted, mtimes fixed, owner names dropped, gzip written by
python's gzip with mtime 0 and no file name. OUT must not exist; a one-line JSON summary
(layers, files, compressed and uncompressed bytes) goes to stdout.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import stat
import sys
import tarfile

MTIME = 1704067200  # 2024-01-01T00:00:00Z
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SKIP_CONTENTS = ("dev", "proc", "sys")


class HashingWriter:
    """Forwards writes to `inner` while hashing and counting them."""

    def __init__(self, inner):
        self.inner = inner
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.sha.update(data)
        self.size += len(data)
        self.inner.write(data)
        return len(data)

    def flush(self):
        pass


class Layout:
    def __init__(self, out):
        self.out = out
        self.blobs = os.path.join(out, "blobs", "sha256")
        os.makedirs(self.blobs)
        with open(os.path.join(out, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def put_bytes(self, data, media_type):
        hexd = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.blobs, hexd), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + hexd, "size": len(data)}

    def put_layer(self, add_entries):
        """add_entries(tar) writes the layer's entries; returns (descriptor, diff_id, tar size)."""
        tmp = os.path.join(self.blobs, ".layer.tmp")
        with open(tmp, "wb") as raw:
            compressed = HashingWriter(raw)
            gz = gzip.GzipFile(filename="", mode="wb", compresslevel=6, fileobj=compressed,
                               mtime=0)
            plain = HashingWriter(gz)
            tar = tarfile.open(fileobj=plain, mode="w|", format=tarfile.PAX_FORMAT)
            add_entries(tar)
            tar.close()
            gz.close()
        hexd = compressed.sha.hexdigest()
        os.rename(tmp, os.path.join(self.blobs, hexd))
        desc = {"mediaType": MT_LAYER, "digest": "sha256:" + hexd, "size": compressed.size}
        return desc, "sha256:" + plain.sha.hexdigest(), plain.size

    def finish(self, tag, layers, diff_ids):
        config = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                       "Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "bench/lib/make_layout.py"}
                        for _ in layers],
        }
        cfg = self.put_bytes(canonical(config), MT_CONFIG)
        manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cfg, "layers": layers}
        man = self.put_bytes(canonical(manifest), MT_MANIFEST)
        man["annotations"] = {"org.opencontainers.image.ref.name": tag}
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": [man]}
        with open(os.path.join(self.out, "index.json"), "wb") as f:
            f.write(canonical(index))


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def walk_sorted(root, rel=""):
    """Yields relative paths, parents before children, names in byte order."""
    with os.scandir(os.path.join(root, rel) if rel else root) as it:
        names = sorted(e.name for e in it)
    for name in names:
        path = f"{rel}/{name}" if rel else name
        yield path
        full = os.path.join(root, path)
        if stat.S_ISDIR(os.lstat(full).st_mode) and path not in SKIP_CONTENTS:
            yield from walk_sorted(root, path)


def under(path, prefixes):
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def add_path(tar, root, path):
    info = tar.gettarinfo(os.path.join(root, path), arcname=path)
    if info is None:  # sockets cannot be archived
        return False
    info.mtime = MTIME
    info.uname = info.gname = ""
    if info.isreg():
        with open(os.path.join(root, path), "rb") as f:
            tar.addfile(info, f)
    else:
        tar.addfile(info)
    return True


def tree_layers(layout, root, splits):
    paths = list(walk_sorted(root))
    groups = [[] for _ in range(len(splits) + 1)]
    for path in paths:
        for i, prefixes in enumerate(splits):
            if under(path, prefixes):
                groups[i + 1].append(path)
                break
        else:
            groups[0].append(path)
    results = []
    for group in groups:
        if not group:
            continue
        count = [0]

        def add(tar, group=group, count=count):
            for path in group:
                count[0] += add_path(tar, root, path)

        results.append(layout.put_layer(add) + (count[0],))
    return results


def small_file(index):
    """Content of file `index`: 100-2000 bytes of hex text from a sha256 chain."""
    seed = hashlib.sha256(b"oci-pod-bench %d" % index).digest()
    size = 100 + int.from_bytes(seed[:4], "big") % 1901
    out = bytearray()
    block = seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block.hex().encode()
    out[size - 1 :] = b"\n"
    return bytes(out[:size])


def smallfiles_layers(layout, count):
    dirs = 100

    def dir_info(name):
        info = tarfile.TarInfo(name)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        info.mtime = MTIME
        return info

    def add(tar):
        tar.addfile(dir_info("data"))
        for d in range(dirs):
            tar.addfile(dir_info("data/d%03d" % d))
            for i in range(d, count, dirs):
                data = small_file(i)
                info = tarfile.TarInfo("data/d%03d/f%06d" % (d, i))
                info.size = len(data)
                info.mode = 0o644
                info.mtime = MTIME
                tar.addfile(info, io.BytesIO(data))

    return [layout.put_layer(add) + (count + dirs + 1,)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("tag")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--rootfs")
    src.add_argument("--smallfiles", type=int)
    ap.add_argument("--split", action="append", default=[])
    args = ap.parse_args()
    if os.path.lexists(args.out):
        sys.exit(f"make_layout.py: '{args.out}' exists, refusing.")
    layout = Layout(args.out)
    if args.rootfs:
        splits = [[p.strip("/") for p in s.split(",") if p.strip("/")] for s in args.split]
        results = tree_layers(layout, args.rootfs, splits)
    else:
        results = smallfiles_layers(layout, args.smallfiles)
    layout.finish(args.tag, [r[0] for r in results], [r[1] for r in results])
    print(json.dumps({
        "layers": len(results),
        "layer_sizes": [r[0]["size"] for r in results],
        "compressed": sum(r[0]["size"] for r in results),
        "uncompressed": sum(r[2] for r in results),
        "entries": sum(r[3] for r in results),
    }))


if __name__ == "__main__":
    main()
