liboci_pod_la_SOURCES += \
	src/fetch/certs.hpp \
	src/fetch/credentials.hpp \
	src/fetch/endpoint.hpp \
	src/fetch/progress.hpp \
	src/fetch/puller.hpp \
	src/fetch/registries_conf.hpp \
	src/fetch/registry.hpp
