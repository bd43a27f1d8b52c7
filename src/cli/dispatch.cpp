#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/log.hpp"
#include "cli/commands.hpp"

namespace ocipod {

namespace {

int run(const CommandLine& cl) {
    switch (cl.command) {
        case Command::pull:
            return cmd_pull(cl.global, cl.pull);
        case Command::images:
            return cmd_images(cl.global, cl.images);
        case Command::inspect:
            return cmd_inspect(cl.global, cl.inspect);
        case Command::rmi:
            return cmd_rmi(cl.global, cl.rmi);
        case Command::store_verify:
            return cmd_store_verify(cl.global);
        case Command::render:
            return cmd_render(cl.global, cl.render);
        case Command::unrender:
            return cmd_unrender(cl.global, cl.unrender);
        case Command::run:
            return cmd_run(cl.global, cl.run);
        case Command::ps:
            return cmd_ps(cl.global, cl.ps);
        case Command::status:
            return cmd_status(cl.global, cl.pod);
        case Command::stop:
            return cmd_stop(cl.global, cl.pod);
        case Command::kill:
            return cmd_kill(cl.global, cl.pod);
        case Command::rm:
            return cmd_rm(cl.global, cl.pod);
        case Command::enter:
            return cmd_enter(cl.global, cl.pod);
        case Command::logs:
            return cmd_logs(cl.global, cl.pod);
        case Command::run_pod:
            return cmd_run_pod(cl.global, cl.pod);
        case Command::pod_validate:
            return cmd_pod_validate(cl.pod_file);
        case Command::pod_create:
            return cmd_pod_create(cl.pod_file);
        case Command::pod_list:
            return cmd_pod_list(cl.pod_file);
        case Command::gc:
            return cmd_gc(cl.global, cl.gc);
        case Command::none:
        case Command::pod:
        case Command::store:
            break;  // refused by the parser
    }
    return exit_usage;
}

// Output that could not be written (a full disk, a closed pipe) must not look like success.
int check_stdout(int status) {
    if (fflush(stdout) != 0 || ferror(stdout)) {
        log_error("writing the output: %s", strerror(errno));
        return status == 0 ? exit_failure : status;
    }
    return status;
}

}  // namespace

int cli_main(int argc, char** argv, Program program) {
    const char* name = program == Program::fetch    ? "oci-pod-fetch"
                       : program == Program::render ? "oci-pod-render"
                       : program == Program::gc     ? "oci-pod-gc"
                                                    : "oci-pod";
    log_init(name);
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    auto cl = parse_command_line(args, default_root_from_environment(), program);
    if (!cl) {
        log_error("%s", cl.error().message.c_str());
        return exit_usage;
    }
    if (cl->global.log_level) log_set_max_level(*cl->global.log_level);
    if (cl->help) {
        fputs(help_text(cl->command, program).c_str(), stdout);
        return check_stdout(0);
    }
    if (cl->version) {
        printf("%s %s\n", name, PACKAGE_VERSION);
        return check_stdout(0);
    }
    return check_stdout(run(*cl));
}

}  // namespace ocipod
