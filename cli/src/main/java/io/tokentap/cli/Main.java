package io.tokentap.cli;

import io.tokentap.net.NettyDefaults;
import io.tokentap.net.Transports;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tokentap} executable. Each sub-command lives in the module that owns the feature; this class only
 * lists them.
 */
@Command(
        name = "tokentap",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Finds and guards the breaking point of LLM inference services.",
        subcommands = {
            CommandLine.HelpCommand.class,
            DemoCommand.class,
            io.tokentap.proxy.ProxyCommand.class,
            io.tokentap.sim.SimCommand.class,
            io.tokentap.loadgen.RunCommand.class,
            io.tokentap.loadgen.ReplayCommand.class,
            io.tokentap.loadgen.SweepCommand.class,
            io.tokentap.loadgen.MergeCommand.class,
            io.tokentap.loadgen.report.ReportCommand.class,
            io.tokentap.loadgen.compare.CompareCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        NettyDefaults.apply(); // before anything loads Netty's buffers
        System.exit(commandLine().execute(args));
    }

    /**
     * The command tree, for tests and for {@link #main}. A transport the machine cannot run ({@code
     * -Dtokentap.transport}) is a usage error with its reason, like a bad option, not a stack trace.
     */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((e, cli, parsed) -> {
                    if (e instanceof Transports.UnusableTransportException) {
                        cli.getErr().println(cli.getCommandSpec().qualifiedName() + ": " + e.getMessage());
                        cli.getErr().flush();
                        return CommandLine.ExitCode.USAGE;
                    }
                    throw e;
                });
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tokentap " + (v == null ? "(development build)" : v)};
        }
    }
}
