liboci_pod_la_SOURCES += \
	src/base/fs.cpp src/base/fs.hpp \
	src/base/log.cpp src/base/log.hpp \
	src/base/result.cpp src/base/result.hpp \
	src/base/strings.cpp src/base/strings.hpp \
	src/base/unique_fd.hpp
