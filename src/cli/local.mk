bin_PROGRAMS += oci-pod
oci_pod_SOURCES = src/cli/main.cpp
oci_pod_LDADD = liboci-pod.la $(DEPS_LIBS)
