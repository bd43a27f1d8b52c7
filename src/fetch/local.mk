liboci_pod_la_SOURCES +=
