#!/bin/bash
# The distribution packages and the manual: every man page is `mandoc -Tlint` clean, the .deb
# built by packaging/build-packages (tests/run-tests passes it as $OCI_POD_DEB) has no lintian
# errors, holds the units, the tmpfiles.d snippet, the man pages and the completion where
# systemd, man and bash look for them, runs systemd-tmpfiles and enables the timer from its
# maintainer scripts, and the .rpm ($OCI_POD_RPM) holds the same files. Installing the .deb into
# the systemd box is pod_units.sh's part. Issue 5, "Man pages" and "Packages".
. "$srcdir/tests/lib/tap.sh"

need_command mandoc
# From man/, so that the pages' references to each other resolve. Down to style messages; a
# machine whose mandoc.db is missing or old (makewhatis never ran) adds notices about the
# system's pages that say nothing about ours, and those are left out.
for page in "$srcdir"/man/*.[158]; do
    tap_is "mandoc -Tlint -W style: $(basename "$page")" "" \
        "$(cd "$srcdir/man" && mandoc -Tlint -W style "$(basename "$page")" 2>&1 | grep -v 'outdated mandoc.db lacks')"
done

# The packages are built from the release tarball: it must hold every file of the tree but the
# repository's own (.gitignore) — a source, test or fixture missing from EXTRA_DIST shows here.
if [ -n "${OCI_POD_TARBALL:-}" ] && git -C "$srcdir" rev-parse --git-dir >/dev/null 2>&1; then
    base=$(basename "$OCI_POD_TARBALL" .tar.xz)
    missing=$(comm -23 <(git -C "$srcdir" ls-files | grep -v -x -e .gitignore | sort) \
        <(tar -tJf "$OCI_POD_TARBALL" | sed "s|^$base/||" | sort))
    tap_is "the release tarball holds every file of the tree" "" "$missing"
else
    tap_skip "the release tarball's files" "no tarball (tests/run-tests makes one) or no git tree"
fi

if [ -z "${OCI_POD_DEB:-}" ]; then
    tap_skip "the .deb" "no package built (tests/run-tests builds one and sets OCI_POD_DEB)"
    tap_done
fi
need_command dpkg-deb lintian

lintian_errors=$(lintian --no-tag-display-limit "$OCI_POD_DEB" 2>&1 | grep '^E:')
tap_is "lintian reports no errors for $(basename "$OCI_POD_DEB")" "" "$lintian_errors"

deb_files=$(dpkg-deb -c "$OCI_POD_DEB" | awk '{ print $6 }' | sed 's|^\./|/|' | grep -v '/$' | sort)
for f in /usr/bin/oci-pod /usr/libexec/oci-pod/oci-pod-fetch /usr/libexec/oci-pod/oci-pod-render \
    /usr/libexec/oci-pod/oci-pod-runner /usr/libexec/oci-pod/oci-pod-gc \
    /lib/systemd/system/oci-pod@.service /lib/systemd/system/oci-pod-gc.service \
    /lib/systemd/system/oci-pod-gc.timer /usr/lib/tmpfiles.d/oci-pod.conf \
    /usr/share/bash-completion/completions/oci-pod /usr/share/man/man1/oci-pod.1.gz \
    /usr/share/man/man5/oci-pod.pod.5.gz /usr/share/man/man8/oci-pod@.service.8.gz; do
    tap_is "the .deb has $f" "$f" "$(grep -Fx -- "$f" <<<"$deb_files")"
done
tap_is "the installed unit runs /usr/bin/oci-pod" "ExecStart=/usr/bin/oci-pod run --pod=%i" \
    "$(dpkg-deb --fsys-tarfile "$OCI_POD_DEB" | tar -xO ./lib/systemd/system/oci-pod@.service | grep '^ExecStart=')"
postinst=$(dpkg-deb -I "$OCI_POD_DEB" postinst 2>/dev/null)
tap_is "postinst runs systemd-tmpfiles --create for oci-pod.conf" "yes" \
    "$(grep -q 'systemd-tmpfiles.* --create oci-pod.conf' <<<"$postinst" && echo yes)"
tap_is "postinst enables oci-pod-gc.timer" "yes" \
    "$(grep -q "enable.*oci-pod-gc.timer\|deb-systemd-helper.*enable.*oci-pod-gc.timer" <<<"$postinst" && echo yes)"
depends=$(dpkg-deb -f "$OCI_POD_DEB" Depends)
for lib in libcurl3-gnutls libarchive13 libsystemd0 libjansson4 libseccomp2; do
    tap_is "Depends names $lib" "yes" "$(grep -q "\b$lib\b" <<<"$depends" && echo yes)"
done

if [ -z "${OCI_POD_RPM:-}" ]; then
    tap_skip "the .rpm" "no .rpm built"
    tap_done
fi
need_command rpm
# The same files, up to the places each distribution keeps them: units in /lib or /usr/lib,
# helpers in /usr/libexec, man pages compressed either way.
normalise() { sed -e 's|^/usr/lib/systemd/|/lib/systemd/|' -e 's|\.gz$||' -e 's|\.xz$||' | sort; }
rpm_files=$(rpm -qlp "$OCI_POD_RPM" 2>/dev/null | grep -v '^/usr/lib/\.build-id' | while read -r f; do
    [ -d "$f" ] && [ "$f" != /etc/oci-pod/pods ] && continue
    echo "$f"
done | normalise)
deb_set=$(grep -v '^/usr/share/doc/' <<<"$deb_files" | normalise)
rpm_set=$(grep -v -e '^/etc/oci-pod$' -e '^/etc/oci-pod/pods$' <<<"$rpm_files")
tap_is "the .rpm holds the same files as the .deb" "$deb_set" "$rpm_set"
scripts=$(rpm -qp --scripts "$OCI_POD_RPM" 2>/dev/null)
tap_is "the .rpm's %post creates the tmpfiles and presets the timer" "yes" \
    "$(grep -q 'systemd-tmpfiles --create' <<<"$scripts" && grep -q 'preset.*oci-pod-gc.timer' <<<"$scripts" && echo yes)"

tap_done
