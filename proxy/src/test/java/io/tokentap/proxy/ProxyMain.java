package io.tokentap.proxy;

import picocli.CommandLine;

/** {@code tokentap proxy} as a process of its own, for tests that signal it. */
public final class ProxyMain {

    private ProxyMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProxyCommand()).execute(args));
    }
}
