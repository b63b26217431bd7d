package io.tokentap.proxy.drain;

import io.tokentap.net.NettyDefaults;
import io.tokentap.proxy.ProxyCommand;
import picocli.CommandLine;

/** {@code tokentap proxy} in a process of its own, as the CLI runs it: for tests that send it real signals. */
public final class ProxyProcessMain {

    private ProxyProcessMain() {
    }

    public static void main(String[] args) {
        NettyDefaults.apply(); // as io.tokentap.cli.Main does
        System.exit(new CommandLine(new ProxyCommand()).execute(args));
    }
}
