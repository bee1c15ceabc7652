using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using TcpActors.Engine.Api;
using TcpActors.Host.Services;
using TcpActors.Interop.Tests.Support;
using Xunit.Abstractions;

namespace TcpActors.Interop.Tests;

/// <summary>The host's status service (port 11, like systat) read by a kernel client over the stack.</summary>
public class StatusServiceTests(ITestOutputHelper output) : InteropTestKit(output)
{
    [RootFact]
    public void A_kernel_client_reads_the_connection_table_and_the_counters_from_the_status_service()
    {
        var stack = StartStack();
        var binder = CreateTestProbe();
        BuiltInServices.Bind(Sys, stack, TimeProvider.System, binder, only: ["echo", "status"]);
        binder.ExpectMsg<Bound>(Wait);
        binder.ExpectMsg<Bound>(Wait);

        // An echo connection that stays open, so that the table has a row besides the status connection itself.
        using var echo = ConnectKernelClient(EchoService.Port);
        echo.Send("x"u8);
        Assert.Equal("x"u8.ToArray(), ReceiveExactly(echo, 1));
        int echoPort = ((System.Net.IPEndPoint)echo.LocalEndPoint!).Port;

        using var client = ConnectKernelClient(StatusService.Port);
        int statusPort = ((System.Net.IPEndPoint)client.LocalEndPoint!).Port;
        var text = new StringBuilder();
        var buffer = new byte[4096];
        for (int n; (n = client.Receive(buffer)) > 0;)   // the service closes after writing the report
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        string report = text.ToString();
        Output.WriteLine(report);

        Assert.StartsWith("TcpActors at 198.18.0.2: 2 connections", report);
        var lines = report.Split("\r\n");
        string echoRow = Assert.Single(lines, l => l.Contains($"198.18.0.2:7 ") && l.Contains($"198.18.0.1:{echoPort} "));
        Assert.StartsWith("ESTAB", echoRow);
        Assert.Contains("bytes_sent:1 bytes_received:1", echoRow);
        Assert.Contains(lines, l => l.Contains("198.18.0.2:11 ") && l.Contains($"198.18.0.1:{statusPort} "));
        Assert.Contains("Counters", lines);
        Assert.Contains(lines, l => l.StartsWith("TcpPassiveOpens ") && l.EndsWith(" 2"));
        Assert.Contains(lines, l => l.StartsWith("TcpInSegs ") && long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) >= 4);
    }
}
