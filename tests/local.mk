check_PROGRAMS += tests/unit/unit-tests
tests_unit_unit_tests_SOURCES = tests/unit/main.cpp \
	tests/unit/digest_test.cpp
tests_unit_unit_tests_CXXFLAGS = $(AM_CXXFLAGS) $(CPPUTEST_CFLAGS)
tests_unit_unit_tests_LDADD = liboci-pod.la $(DEPS_LIBS) $(CPPUTEST_LIBS)
TESTS += tests/unit/unit-tests
