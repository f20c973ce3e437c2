using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using RouterHost.Linux.Namespaces;

namespace RouterHost.Demo;

/// <summary>
/// <c>routerhost demo</c>: two RouterHost nodes with fresh keys in two network namespaces, a WireGuard tunnel between
/// them over a veth pair, the handshake, a ping across, a short TCP throughput check with live counters from both
/// nodes; then everything is removed — also on Ctrl-C, SIGTERM, or when a node dies.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class DemoRun
{
    private const int PortA = 51820;
    private const int PortB = 51821;
    private static readonly IPAddress AddressB = IPAddress.Parse("10.88.0.2");

    private readonly TextWriter _out;
    private readonly CancellationTokenSource _stop = new();

    public DemoRun(TextWriter output) => _out = output;

    public int Run(int seconds, bool wait)
    {
        if (!IsRoot())
        {
            _out.WriteLine("error: the demo needs root: it creates network namespaces and TUN devices (run: sudo scripts/run)");
            return 1;
        }

        if (!File.Exists("/dev/net/tun"))
        {
            _out.WriteLine("error: /dev/net/tun is missing: this kernel or container has no TUN support");
            return 1;
        }

        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        string directory = Directory.CreateTempSubdirectory($"{DemoNetwork.TempPrefix}{Environment.ProcessId}-").FullName;
        DemoNetwork? network = null;
        DemoNode? a = null;
        DemoNode? b = null;
        try
        {
            network = DemoNetwork.Create();
            _out.WriteLine($"RouterHost demo: two nodes in the network namespaces {network.A} and {network.B}, joined by a veth pair");
            _out.WriteLine($"(underlay 192.168.77.1 <-> 192.168.77.2), with a WireGuard tunnel between them (10.88.0.1 <-> 10.88.0.2).");
            var keysA = DemoNode.MakeKeys(directory, "a");
            var keysB = DemoNode.MakeKeys(directory, "b");
            _out.WriteLine($"  node a: tunnel address 10.88.0.1, public key {keysA.PublicKey}, UDP 192.168.77.1:{PortA}");
            _out.WriteLine($"  node b: tunnel address 10.88.0.2, public key {keysB.PublicKey}, UDP 192.168.77.2:{PortB}");

            // b knows no endpoint for a: a reaches b first, and b learns where a is from a's handshake.
            _out.Write("Starting node b ... ");
            b = DemoNode.Start("b", network.B, directory, keysB.PrivateKeyFile, keysB.PublicKey, "10.88.0.2", PortB, "a", keysA.PublicKey, "10.88.0.1", null, TimeSpan.FromSeconds(60));
            _out.WriteLine($"ready (pid {b.Pid})");
            Check(b, null);
            _out.Write("Starting node a ... ");
            a = DemoNode.Start("a", network.A, directory, keysA.PrivateKeyFile, keysA.PublicKey, "10.88.0.1", PortA, "b", keysB.PublicKey, "10.88.0.2", $"192.168.77.2:{PortB}", TimeSpan.FromSeconds(60));
            _out.WriteLine($"ready (pid {a.Pid})");

            Handshake(a, b);
            Ping(network, a, b);
            Throughput(network, a, b, seconds);
            if (wait)
            {
                _out.WriteLine("Running until Ctrl-C; counters every second:");
                while (!_stop.IsCancellationRequested)
                {
                    Check(a, b);
                    Counters(a, b, 0);
                    _stop.Token.WaitHandle.WaitOne(1000);
                }
            }

            _out.WriteLine(_stop.IsCancellationRequested ? "Stopped." : "Demo complete.");
            return 0;
        }
        catch (DemoException ex)
        {
            _out.WriteLine();
            _out.WriteLine($"error: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            _out.WriteLine();
            _out.WriteLine("Interrupted.");
            return 130;
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            _out.WriteLine();
            _out.WriteLine($"error: the demo failed: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }
        finally
        {
            _out.Write("Cleaning up: stopping the nodes, removing the namespaces, the veth pair and the key files ... ");
            a?.Dispose();
            b?.Dispose();
            network?.Dispose();
            try
            {
                Directory.Delete(directory, recursive: true);
                _out.WriteLine("done.");
            }
            catch (IOException ex)
            {
                // Its keys would stay behind: say so (the next demo sweeps it too).
                _out.WriteLine($"done, but {directory} could not be removed: {ex.Message}");
            }
        }
    }

    private static bool IsRoot()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0";
                }
            }
        }
        catch (IOException)
        {
            // No /proc/self/status: not Linux as we know it; treated as not root (the message says what is needed).
        }

        return false;
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stop.Cancel();
    }

    private void Handshake(DemoNode a, DemoNode b)
    {
        _out.Write("Handshake: a initiates to b ... ");
        var watch = Stopwatch.StartNew();

        // a has b's endpoint: a ping makes a start the handshake (the first packet waits for it).
        _ = a.Namespace.Exec(TimeSpan.FromSeconds(10), "ping", "-c", "1", "-W", "5", AddressB.ToString());
        while (true)
        {
            Check(a, b);
            if (a.PeerStatus().LatestHandshake != 0 && b.PeerStatus().LatestHandshake != 0)
            {
                break;
            }

            if (watch.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new DemoException($"no handshake after 20 s; node a said:{Environment.NewLine}{a.Tail()}{Environment.NewLine}node b said:{Environment.NewLine}{b.Tail()}");
            }

            _stop.Token.WaitHandle.WaitOne(50);
            _stop.Token.ThrowIfCancellationRequested();
        }

        _out.WriteLine($"completed ({watch.ElapsedMilliseconds} ms, both nodes report a latest handshake)");
    }

    private void Ping(DemoNetwork network, DemoNode a, DemoNode b)
    {
        _out.WriteLine($"Ping 10.88.0.2 from {network.A} (through the tunnel):");
        ExecResult ping = a.Namespace.Exec(TimeSpan.FromSeconds(20), "ping", "-c", "3", "-i", "0.2", "-W", "3", AddressB.ToString());
        int exit = ping.ExitCode;
        string output = ping.StdOut + ping.StdErr;
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Contains("bytes from", StringComparison.Ordinal) || line.Contains("packet loss", StringComparison.Ordinal) || line.Contains("rtt", StringComparison.Ordinal))
            {
                _out.WriteLine("  " + line.Trim());
            }
        }

        Check(a, b);
        if (exit != 0)
        {
            throw new DemoException($"ping across the tunnel failed (exit {exit}):{Environment.NewLine}{output}");
        }
    }

    private void Throughput(DemoNetwork network, DemoNode a, DemoNode b, int seconds)
    {
        if (seconds <= 0)
        {
            return;
        }

        _out.WriteLine($"Throughput: one TCP stream from {network.A} to 10.88.0.2 through the tunnel for {seconds} s; each second:");
        using var traffic = new DemoTraffic(network.A, network.B, AddressB, 5201);
        long start = traffic.Received;
        var watch = Stopwatch.StartNew();
        long last = start;
        for (int s = 1; s <= seconds; s++)
        {
            _stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(s) - watch.Elapsed);
            _stop.Token.ThrowIfCancellationRequested();
            Check(a, b);
            long now = traffic.Received;
            Counters(a, b, (now - last) * 8 / 1e9);
            last = now;
        }

        double total = (traffic.Received - start) * 8 / 1e9 / watch.Elapsed.TotalSeconds;
        if (traffic.Error is { } error)
        {
            throw new DemoException($"the TCP stream failed: {error.Message}");
        }

        _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Result: {total:0.00} Gbit/s through the tunnel ({(traffic.Received - start) / 1048576.0:0} MiB in {watch.Elapsed.TotalSeconds:0.0} s)"));
    }

    private void Counters(DemoNode a, DemoNode b, double gbits)
    {
        var sa = a.PeerStatus();
        var sb = b.PeerStatus();
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {(gbits > 0 ? $"{gbits,6:0.00} Gbit/s  " : string.Empty)}a: {Cli.ShowCommand.Bytes(sa.TxBytes)} sent, {Cli.ShowCommand.Bytes(sa.RxBytes)} received   b: {Cli.ShowCommand.Bytes(sb.TxBytes)} sent, {Cli.ShowCommand.Bytes(sb.RxBytes)} received"));
    }

    private static void Check(DemoNode a, DemoNode? b)
    {
        foreach (DemoNode? node in (DemoNode?[])[a, b])
        {
            if (node is { HasExited: true })
            {
                throw node.Died();
            }
        }
    }
}
