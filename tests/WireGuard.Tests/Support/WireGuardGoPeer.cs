using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// A real WireGuard peer: Debian's <c>wireguard-go</c> running in a network namespace of the test's, configured with
/// Debian's <c>wg</c> (keys made by <c>wg genkey</c> / <c>wg pubkey</c>), its interface addressed and up. Killed and
/// its key files removed on <see cref="Dispose"/>; the namespace's removal kills it too if the test process dies.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class WireGuardGoPeer : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly System.Text.StringBuilder _log = new();

    private WireGuardGoPeer(NetworkNamespace ns, string interfaceName, Process process, string directory, string privateKey, string publicKey)
    {
        Namespace = ns;
        InterfaceName = interfaceName;
        _process = process;
        _directory = directory;
        PrivateKey = privateKey;
        PublicKey = publicKey;
    }

    public NetworkNamespace Namespace { get; }

    public string InterfaceName { get; }

    public string PrivateKey { get; }

    public string PublicKey { get; }

    /// <summary>What wireguard-go logged (debug level).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Why interop tests cannot run here, or null when wireguard-go and wg are installed and namespaces work.</summary>
    public static string? UnsupportedReason =>
        !NetworkNamespace.IsSupported ? NetworkNamespace.UnsupportedReason
        : !File.Exists("/usr/bin/wireguard-go") ? "wireguard-go is not installed (apt-get install wireguard-go; scripts/test installs it)"
        : !File.Exists("/usr/bin/wg") ? "wg is not installed (apt-get install wireguard-tools; scripts/test installs it)"
        : null;

    /// <summary>Starts wireguard-go in <paramref name="ns"/> with a fresh key, listening on <paramref name="listenPort"/>.</summary>
    public static WireGuardGoPeer Start(NetworkNamespace ns, int listenPort, IEnumerable<string> addresses, int mtu = 1420, string? privateKey = null)
    {
        string name = "wgt" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        string directory = Directory.CreateTempSubdirectory("rh-wg-").FullName;
        privateKey ??= ChildProcess.Run("/usr/bin/wg", ["genkey"]).StdOut.Trim();
        string publicKey = ChildProcess.Run("/usr/bin/wg", ["pubkey"], privateKey).StdOut.Trim();
        string keyFile = Path.Combine(directory, "private.key");
        File.WriteAllText(keyFile, privateKey + "\n");
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var start = new ProcessStartInfo("/usr/sbin/ip", ["netns", "exec", ns.Name, "/usr/bin/wireguard-go", "-f", name])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["LOG_LEVEL"] = "debug";
        Process process = Process.Start(start) ?? throw new InvalidOperationException("wireguard-go did not start");
        var peer = new WireGuardGoPeer(ns, name, process, directory, privateKey, publicKey);
        process.OutputDataReceived += (_, e) => peer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => peer.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // The UAPI socket appears once the device is up.
            string socket = $"/var/run/wireguard/{name}.sock";
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(socket))
            {
                if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(20))
                {
                    throw new InvalidOperationException($"wireguard-go did not come up: {peer.Log}");
                }

                Thread.Sleep(20);
            }

            peer.Wg("set", name, "private-key", keyFile, "listen-port", listenPort.ToString(CultureInfo.InvariantCulture));
            ns.Ip("link", "set", name, "mtu", mtu.ToString(CultureInfo.InvariantCulture)).EnsureSuccess();
            foreach (string address in addresses)
            {
                ns.Ip("address", "add", address, "dev", name).EnsureSuccess();
            }

            ns.Ip("link", "set", name, "up").EnsureSuccess();
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>Adds or changes a peer: <c>wg set IF peer KEY …</c>, with the preshared key written to a 0600 file.</summary>
    public void SetPeer(string publicKey, string allowedIps, string? endpoint = null, string? presharedKey = null, int? persistentKeepalive = null)
    {
        var args = new List<string> { "set", InterfaceName, "peer", publicKey, "allowed-ips", allowedIps };
        if (endpoint is not null)
        {
            args.AddRange(["endpoint", endpoint]);
        }

        if (presharedKey is not null)
        {
            string file = Path.Combine(_directory, "psk-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
            File.WriteAllText(file, presharedKey + "\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            args.AddRange(["preshared-key", file]);
        }

        if (persistentKeepalive is { } keepalive)
        {
            args.AddRange(["persistent-keepalive", keepalive.ToString(CultureInfo.InvariantCulture)]);
        }

        Wg([.. args]);
    }

    /// <summary>Runs <c>wg</c> inside the namespace, throwing with its error on failure.</summary>
    public string Wg(params string[] args) => Namespace.Exec("/usr/bin/wg", args).EnsureSuccess().StdOut;

    /// <summary>The peer's latest handshake time with <paramref name="publicKey"/> (0 = none), from <c>wg show … dump</c>.</summary>
    public long LatestHandshake(string publicKey)
    {
        foreach (string line in Wg("show", InterfaceName, "dump").Split('\n'))
        {
            string[] fields = line.Split('\t');
            if (fields.Length >= 8 && fields[0] == publicKey)
            {
                return long.Parse(fields[4], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            File.Delete($"/var/run/wireguard/{InterfaceName}.sock");
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
