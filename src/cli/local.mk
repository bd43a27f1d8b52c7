# The oci-pod command and the oci-pod-fetch helper. Their code is in the library (so the unit
# tests reach the option parser and the progress display); each main.cpp only calls cli_main.
liboci_pod_la_SOURCES += \
	src/cli/commands.hpp \
	src/cli/commands_images.cpp \
	src/cli/commands_pull.cpp \
	src/cli/commands_store.cpp \
	src/cli/dispatch.cpp \
	src/cli/local_image.cpp src/cli/local_image.hpp \
	src/cli/notify.cpp src/cli/notify.hpp \
	src/cli/options.cpp src/cli/options.hpp \
	src/cli/progress_display.cpp src/cli/progress_display.hpp \
	src/cli/table.cpp src/cli/table.hpp \
	src/cli/time_text.cpp src/cli/time_text.hpp

bin_PROGRAMS += oci-pod
oci_pod_SOURCES = src/cli/main.cpp
oci_pod_LDADD = liboci-pod.la $(DEPS_LIBS)

pkglibexec_PROGRAMS += oci-pod-fetch
oci_pod_fetch_SOURCES = src/fetch/main.cpp
oci_pod_fetch_LDADD = liboci-pod.la $(DEPS_LIBS)

tests_unit_unit_tests_SOURCES += \
	tests/unit/options_test.cpp \
	tests/unit/progress_display_test.cpp \
	tests/unit/table_test.cpp

# The command line end to end (TAP; see tests/local.mk for the harness).
TESTS += tests/integration/cli.sh
EXTRA_DIST += tests/integration/cli.sh
