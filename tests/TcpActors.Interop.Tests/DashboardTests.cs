using System.Net.Sockets;
using System.Text.Json;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Host.Dashboard;
using TcpActors.Host.Services;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>
/// The host's dashboard, served by Kestrel over the stack on the TUN device, fetched from inside the test's namespace
/// by the kernel's HTTP client (curl) and by headless Chromium: each sees the test's own connection in the table.
/// </summary>
public class DashboardTests(ITestOutputHelper output) : InteropTestKit(output)
{
    /// <summary>Where the Chromium test leaves its screenshot (TCPA_SCREENSHOT overrides).</summary>
    public static string ScreenshotPath =>
        Environment.GetEnvironmentVariable("TCPA_SCREENSHOT") is { Length: > 0 } p ? p : Path.Combine(Path.GetTempPath(), "tcpactors-dashboard.png");

    private (Engine.TcpStack Stack, Socket Echo, int EchoPort) StackWithEcho()
    {
        var stack = StartStack();
        var binder = CreateTestProbe();
        BuiltInServices.Bind(Sys, stack, TimeProvider.System, binder, only: ["echo"]);
        binder.ExpectMsg<Bound>(Wait);
        // The test's own connection: a kernel socket to echo that stays open.
        var echo = ConnectKernelClient(EchoService.Port);
        echo.Send("x"u8);
        Assert.Equal("x"u8.ToArray(), ReceiveExactly(echo, 1));
        return (stack, echo, ((System.Net.IPEndPoint)echo.LocalEndPoint!).Port);
    }

    [RootFact(Programs = ["curl"])]
    public async Task Curl_reads_the_page_and_the_status_which_lists_the_tests_connection_and_curls_own()
    {
        var (stack, echo, echoPort) = StackWithEcho();
        await using var app = await DashboardServer.StartAsync(stack, 80);

        var page = Ns.Namespace.ExecProgram("curl", ["-sS", "-m", "10", "http://198.18.0.2/"], Wait);
        Assert.True(page.ExitCode == 0, $"curl failed: {page.StandardError}");
        Assert.Contains("<title>TcpActors dashboard</title>", page.StandardOutput);

        // -w prints curl's own local port after the body: its connection is in the table it fetched.
        var status = Ns.Namespace.ExecProgram("curl", ["-sS", "-m", "10", "-w", "\n%{local_port}", "http://198.18.0.2/api/status"], Wait);
        Assert.True(status.ExitCode == 0, $"curl failed: {status.StandardError}");
        int cut = status.StandardOutput.LastIndexOf('\n');
        string json = status.StandardOutput[..cut];
        int curlPort = int.Parse(status.StandardOutput[(cut + 1)..]);
        Output.WriteLine(json);
        using var doc = JsonDocument.Parse(json);
        var rows = doc.RootElement.GetProperty("connections").EnumerateArray().ToList();

        var mine = Assert.Single(rows, r => r.GetProperty("remote").GetString() == $"198.18.0.1:{echoPort}");
        Assert.Equal("198.18.0.2:7", mine.GetProperty("local").GetString());
        Assert.Equal("ESTAB", mine.GetProperty("state").GetString());
        Assert.Equal(1, mine.GetProperty("bytesReceived").GetInt64());
        Assert.Equal(1, mine.GetProperty("bytesSent").GetInt64());
        Assert.True(mine.GetProperty("srttMs").GetDouble() > 0);

        var curls = Assert.Single(rows, r => r.GetProperty("remote").GetString() == $"198.18.0.1:{curlPort}");
        Assert.Equal("198.18.0.2:80", curls.GetProperty("local").GetString());
        Assert.Equal("ESTAB", curls.GetProperty("state").GetString());
        Assert.True(doc.RootElement.GetProperty("counters").GetProperty("PassiveOpens").GetInt64() >= 3);
        echo.Dispose();
        await app.StopAsync();
    }

    [RootFact(Programs = ["chromium"])]
    public async Task Headless_chromium_renders_the_table_with_the_tests_connection_and_takes_a_screenshot()
    {
        var (stack, echo, echoPort) = StackWithEcho();
        await using var app = await DashboardServer.StartAsync(stack, 80);

        // Some traffic on the test's connection while the browser watches (bounded: 16 KB every 20 ms, echoed back).
        using var stop = new CancellationTokenSource();
        var traffic = Task.Run(() =>
        {
            var chunk = new byte[16 * 1024];
            while (!stop.IsCancellationRequested)
            {
                echo.Send(chunk);
                ReceiveExactly(echo, chunk.Length);
                stop.Token.WaitHandle.WaitOne(20);   // pace the traffic; ends at once when stopped
            }
        });

        try
        {
            string dom = Chromium(5000, "--dump-dom");
            Assert.Contains("<title>TcpActors dashboard</title>", dom);
            Assert.DoesNotContain("data-updates=\"0\"", dom);   // the script ran and rendered at least one status
            Assert.Contains($"data-local=\"198.18.0.2:7\" data-remote=\"198.18.0.1:{echoPort}\" data-state=\"ESTAB\"", dom);
            Assert.Contains("data-local=\"198.18.0.2:80\"", dom);   // the browser's own connection
            Assert.Contains("<span id=\"error\" class=\"err\"></span>", dom);   // no failed update

            string png = ScreenshotPath;
            File.Delete(png);
            Chromium(15000, $"--screenshot={png}", "--window-size=1500,760", "--hide-scrollbars");   // more polls: fuller charts
            Assert.True(File.Exists(png), "no screenshot was written");
            Assert.True(new FileInfo(png).Length > 10_000, "the screenshot is (nearly) empty");
            Output.WriteLine($"screenshot: {png}");
        }
        finally
        {
            stop.Cancel();
            await traffic;
        }
        await app.StopAsync();
    }

    /// <summary>
    /// Runs headless Chromium in the namespace on the dashboard with a fresh profile; the virtual time budget lets the
    /// page poll a few times before the DOM is dumped or the screenshot taken. Returns its standard output.
    /// </summary>
    private string Chromium(int virtualTimeBudgetMs, params string[] what)
    {
        var profile = Directory.CreateTempSubdirectory("tcpa-chromium-");
        try
        {
            string[] args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile.FullName}",
                $"--virtual-time-budget={virtualTimeBudgetMs}", .. what, "http://198.18.0.2/",
            ];
            var r = Ns.Namespace.ExecProgram("chromium", args, TimeSpan.FromSeconds(90));
            Assert.True(r.ExitCode == 0, $"chromium failed ({r.ExitCode}): {r.StandardError}");
            return r.StandardOutput;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }
}
