using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using RouterHost.Cli;
using RouterHost.Crypto;
using RouterHost.Linux.Namespaces;
using RouterHost.WireGuard.Keys;

namespace RouterHost.Demo;

/// <summary>
/// One RouterHost node of the demo: a real <c>routerhost run</c> child process whose TUN (10.88.0.x/24) and WireGuard
/// sockets live in one of the demo's namespaces, configured like any deployment (a JSON file, a 0600 key file), with
/// a control socket the demo reads its status from. The child ends when the demo ends, however it ends.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class DemoNode : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private DemoNode(string name, NetworkNamespace ns, string address, int port, string publicKey, string controlSocket, Process process)
    {
        Name = name;
        Namespace = ns;
        Address = address;
        Port = port;
        PublicKey = publicKey;
        ControlSocket = controlSocket;
        _process = process;
    }

    public string Name { get; }

    public NetworkNamespace Namespace { get; }

    public string Address { get; }

    public int Port { get; }

    public string PublicKey { get; }

    public string ControlSocket { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the node printed.</summary>
    public string Tail(int lines = 15) => string.Join(Environment.NewLine, _output.TakeLast(lines));

    /// <summary>A fresh key pair; the private key is written to a 0600 file in <paramref name="directory"/>.</summary>
    public static (string PrivateKeyFile, string PublicKey) MakeKeys(string directory, string name)
    {
        using X25519PrivateKey key = KeyAgreementAlgorithm.X25519.GenerateKey();
        Span<byte> secret = stackalloc byte[32];
        key.ExportPrivateKey(secret);
        string path = Path.Combine(directory, name + ".key");
        using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var writer = new StreamWriter(file))
        {
            writer.WriteLine(WireGuardKey.Format(secret));
        }

        CryptographicOperations.ZeroMemory(secret);
        return (path, WireGuardKey.Format(key.PublicKey));
    }

    /// <summary>Writes the node's configuration and starts it; returns once it logged "RouterHost ready".</summary>
    public static DemoNode Start(
        string name, NetworkNamespace ns, string directory, string privateKeyFile, string publicKey, string address, int port,
        string peerName, string peerPublicKey, string peerAddress, string? peerEndpoint, TimeSpan timeout)
    {
        string control = Path.Combine(directory, name + ".sock");
        string config = Path.Combine(directory, name + ".json");
        string endpoint = peerEndpoint is null ? string.Empty : $"\"Endpoint\": \"{peerEndpoint}\",";
        // 0600 whatever the umask: the node refuses a configuration file others could write.
        using (var file = new FileStream(config, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var writer = new StreamWriter(file))
        {
            writer.Write($$"""
                {
                  "Control": { "Socket": "{{control}}" },
                  "Serilog": { "MinimumLevel": { "Default": "Information", "Override": { "Microsoft": "Warning" } } },
                  "Pipeline": { "Stages": [
                    { "Type": "Routing", "Settings": { "Routes": [ { "Destination": "{{address}}/32", "Interface": "tun" } ] } },
                    { "Type": "WireGuard", "Name": "wg", "Settings": {
                        "PrivateKeyFile": "{{privateKeyFile}}", "ListenPort": {{port}}, "ListenAddresses": [ "0.0.0.0" ], "Sockets": 2,
                        "Peers": { "{{peerName}}": { "PublicKey": "{{peerPublicKey}}", {{endpoint}} "AllowedIPs": [ "{{peerAddress}}/32" ] } } } } ] },
                  "Interfaces": {
                    "tun": { "Backend": "LinuxTun", "Settings": { "DeviceName": "rhdemo0", "Mtu": 1420, "Queues": 2, "Addresses": [ "{{address}}/24" ] } } }
                }
                """);
        }

        // Started from the demo's main thread: the kernel's parent-death signal follows the thread that forked.
        string host = typeof(Program).Assembly.Location;
        ProcessStartInfo info = ns.StartInfo(Environment.ProcessPath ?? "dotnet");

        if (!string.Equals(Path.GetFileNameWithoutExtension(Environment.ProcessPath), "routerhost", StringComparison.Ordinal))
        {
            info.ArgumentList.Add(host);
        }

        foreach (string arg in (string[])["run", "--config", config])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment[Program.ParentPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment.Remove("NOTIFY_SOCKET");
        Process process = Process.Start(info) ?? throw new DemoException($"node {name} did not start");
        var node = new DemoNode(name, ns, address, port, publicKey, control, process);
        process.OutputDataReceived += (_, e) => node.Add(e.Data);
        process.ErrorDataReceived += (_, e) => node.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var watch = Stopwatch.StartNew();
        while (!node._output.Any(l => l.Contains("RouterHost ready", StringComparison.Ordinal)))
        {
            if (process.HasExited || watch.Elapsed > timeout)
            {
                string why = process.HasExited ? $"exited with {process.ExitCode}" : $"was not ready after {timeout.TotalSeconds:0} s";
                node.Dispose();
                throw new DemoException($"node {name} {why}:{Environment.NewLine}{node.Tail()}");
            }

            Thread.Sleep(50);
        }

        return node;
    }

    /// <summary>The node's WireGuard peer as its status document shows it: latest handshake (Unix s), bytes in and out.</summary>
    public (long LatestHandshake, long RxBytes, long TxBytes) PeerStatus()
    {
        byte[] answer;
        try
        {
            answer = ShowCommand.Ask(ControlSocket, "show");
            if (answer.Length == 0)
            {
                // A node killed while the kernel had already queued our connection closes it unanswered.
                throw new IOException("the connection was closed without an answer");
            }
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
        {
            // The node may have just died (its socket goes first, its exit is seen a moment later): say which.
            if (_process.WaitForExit(TimeSpan.FromSeconds(3)))
            {
                throw Died();
            }

            throw new DemoException($"node {Name}'s control socket stopped answering: {ex.Message}");
        }

        using JsonDocument status = JsonDocument.Parse(answer);
        foreach (JsonElement stage in status.RootElement.GetProperty("stages").EnumerateArray())
        {
            if (stage.TryGetProperty("status", out JsonElement s) && s.ValueKind == JsonValueKind.Object && s.TryGetProperty("peers", out JsonElement peers))
            {
                JsonElement peer = peers[0];
                return (peer.GetProperty("latest_handshake_unix").GetInt64(), peer.GetProperty("rx_bytes").GetInt64(), peer.GetProperty("tx_bytes").GetInt64());
            }
        }

        throw new DemoException($"node {Name}'s status has no WireGuard peer");
    }

    /// <summary>The failure to report when the node has exited.</summary>
    public DemoException Died() => new($"node {Name} (pid {Pid}) died; its last words:{Environment.NewLine}{Tail()}");

    /// <summary>Stops the node: SIGTERM, then SIGKILL if it has not gone in 5 s.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _ = Linux.Interop.Libc.kill(_process.Id, Linux.Interop.Libc.SIGTERM);
                if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The process was already reaped: nothing is left to stop.
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
            while (_output.Count > 200)
            {
                _output.TryDequeue(out _);
            }
        }
    }
}
