package io.tokentap.loadgen.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the report in headless Chromium (the Debian package {@code chromium}) and checks that the charts drew
 * and the page logged nothing to the console. Skipped, with a message, only when Chromium is not installed and
 * the build is not running in CI ({@code CI=true} makes a missing Chromium a failure).
 */
@Timeout(180)
class ChromiumRenderTest {

    private static Path chromium;

    @TempDir
    Path dir;

    @BeforeAll
    static void findChromium() {
        // -Dtokentap.chromium=PATH points at another build (or, set to a missing file, exercises the skip).
        String override = System.getProperty("tokentap.chromium");
        List<String> candidates = override != null
                ? List.of(override) : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
        for (String candidate : candidates) {
            if (Files.isExecutable(Path.of(candidate))) {
                chromium = Path.of(candidate);
                return;
            }
        }
        chromium = null;
    }

    @BeforeEach
    void requireChromium() {
        if (chromium != null) {
            return;
        }
        String hint = "headless Chromium is not installed (apt-get update && apt-get install -y chromium)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(hint + "; CI=true, so the report rendering check must run");
        }
        Assumptions.abort(hint + "; skipping the report rendering check");
    }

    @Test
    void theReportRendersWithChartsAndNoConsoleMessages() throws Exception {
        Path html = dir.resolve("report.html");
        Files.writeString(html, HtmlReportTest.render(SyntheticSweep.result(), OptionalDouble.of(40)));

        Render r = render(html);

        assertThat(r.consoleLines()).as("console output of the report page").isEmpty();
        long pixels = (long) r.image().getWidth() * r.image().getHeight();
        assertThat(r.nonWhite()).as("non-white pixels").isGreaterThan(pixels / 20);
        // The series lines and the breaking-point markers drew in their colours.
        assertThat(r.near(0x1f77b4)).as("blue series pixels").isGreaterThan(500);
        assertThat(r.near(0xff7f0e)).as("orange series pixels").isGreaterThan(200);
        assertThat(r.near(0xd62728)).as("red breaking-point marker pixels").isGreaterThan(200);
    }

    @Test
    void theCheckSeesABlankPageAndAConsoleError() throws Exception {
        // The detector itself must be able to fail: a blank page that throws.
        Path html = dir.resolve("bad.html");
        Files.writeString(html, "<!DOCTYPE html><html><body><script>throw new Error('boom')</script></body></html>");

        Render r = render(html);

        assertThat(r.consoleLines()).anySatisfy(l -> assertThat(l).contains("Uncaught Error: boom"));
        assertThat(r.nonWhite()).isZero();
    }

    private record Render(BufferedImage image, List<String> consoleLines) {

        long nonWhite() {
            long n = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    if ((image.getRGB(x, y) & 0xffffff) != 0xffffff) {
                        n++;
                    }
                }
            }
            return n;
        }

        long near(int rgb) {
            long n = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int p = image.getRGB(x, y);
                    int dr = ((p >> 16) & 0xff) - ((rgb >> 16) & 0xff);
                    int dg = ((p >> 8) & 0xff) - ((rgb >> 8) & 0xff);
                    int db = (p & 0xff) - (rgb & 0xff);
                    if (dr * dr + dg * dg + db * db < 30 * 30) {
                        n++;
                    }
                }
            }
            return n;
        }
    }

    private Render render(Path html) throws IOException, InterruptedException {
        Path png = dir.resolve(html.getFileName() + ".png");
        Path log = dir.resolve(html.getFileName() + ".log");
        Path profile = Files.createDirectories(dir.resolve("profile-" + html.getFileName()));
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0", "--screenshot=" + png,
                "--window-size=1200,2000", html.toUri().toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                fail("chromium did not finish within 120 s: " + Files.readString(log));
            }
        } finally {
            p.destroyForcibly();
        }
        assertThat(png).as("screenshot; chromium said: %s", Files.readString(log)).exists();
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image).as("decoded screenshot").isNotNull();
        // Every console message (console.log/error, uncaught exceptions, failed loads) is logged as
        // "...:CONSOLE..." by Chromium's stderr logging; the report page has no script, so it must log none.
        List<String> console = Files.readAllLines(log).stream()
                .filter(l -> l.contains(":CONSOLE") || l.contains("Uncaught"))
                .toList();
        return new Render(image, console);
    }
}
