package io.tokentap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokentap.net.Transports;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code tokentap --help} lists the sub-commands, and each one answers its own {@code --help}. */
@Timeout(30)
class MainTest {

    record Run(int code, String out, String err) { }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static Set<String> subcommands() {
        Set<String> names = new java.util.TreeSet<>(Main.commandLine().getSubcommands().keySet());
        names.remove("help");
        return names;
    }

    @Test
    void helpListsEverySubcommand() {
        Run r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Usage: tokentap");
        assertThat(subcommands()).contains("proxy", "sim", "run", "replay", "report", "compare");
        for (String name : subcommands()) {
            assertThat(r.out()).as("--help lists " + name).containsPattern("(?m)^\\s+" + name + "\\s");
        }
    }

    @Test
    void everySubcommandHasItsOwnHelp() {
        for (String name : subcommands()) {
            Run r = run(name, "--help");
            assertThat(r.code()).as(name + " --help exit code; stderr: " + r.err()).isZero();
            assertThat(r.out()).as(name + " --help").startsWith("Usage: tokentap " + name);
            assertThat(r.out()).as(name + " --help describes its options").contains("-h, --help");
            Run viaHelp = run("help", name);
            assertThat(viaHelp.code()).isZero();
            assertThat(viaHelp.out()).isEqualTo(r.out());
        }
    }

    @Test
    void proxyHelpNamesTheIssueFlags() {
        Run r = run("proxy", "--help");
        assertThat(r.out()).contains("--listen", "--upstream", "--config", "--admin");
    }

    @Test
    void aTransportThatCannotRunIsAUsageErrorWithItsReasonAndNoStackTrace() {
        String before = System.getProperty(Transports.PROPERTY);
        System.setProperty(Transports.PROPERTY, "kqueue");
        try {
            Run r = run("sim", "--listen", "127.0.0.1:0");
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).isEqualTo("tokentap sim: tokentap.transport must be epoll, io_uring or nio, not 'kqueue'"
                    + System.lineSeparator());
        } finally {
            if (before == null) {
                System.clearProperty(Transports.PROPERTY);
            } else {
                System.setProperty(Transports.PROPERTY, before);
            }
        }
    }

    @Test
    void anUnknownSubcommandIsAUsageError() {
        Run r = run("no-such-command");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no-such-command");
    }
}
