using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Stage;

namespace RouterHost.Migration;

/// <summary>A file the import writes: its full path, its bytes, and whether it holds a secret (a key: mode 0600 in a 0700 folder).</summary>
/// <param name="Path">Full path.</param>
/// <param name="Content">What it holds.</param>
/// <param name="Secret">A key file.</param>
internal sealed record ImportFile(string Path, byte[] Content, bool Secret);

/// <summary>What <see cref="WgQuickImporter.Plan"/> would write, and what the user must know about it.</summary>
/// <param name="ConfigurationPath">The RouterHost configuration file.</param>
/// <param name="Files">Every file to write: the configuration first, then the keys.</param>
/// <param name="Notes">One line each: what was carried over where, what was not (with file:line).</param>
/// <param name="EmittedKeys">Every configuration key path written, for the report.</param>
internal sealed record ImportPlan(string ConfigurationPath, IReadOnlyList<ImportFile> Files, IReadOnlyList<string> Notes, IReadOnlyList<string> EmittedKeys);

/// <summary>
/// Turns a parsed wg-quick file into the equivalent RouterHost configuration:
/// <list type="bullet">
/// <item>a LinuxTun interface named after the file (<c>wg0.conf</c> → <c>wg0</c>, the device wg-quick would make) with
/// the <c>Address</c>es and the MTU. The kernel routes wg-quick adds for the peers' allowed prefixes are not written:
/// the router's kernel routes (<c>KernelRoutes</c>, on by default for the only TUN) add them, follow peers that change,
/// and give a <c>0.0.0.0/0</c> / <c>::/0</c> peer a full tunnel with wg-quick's policy rules. <c>Table = off</c> becomes
/// the interface's <c>"KernelRoutes": false</c>; <c>Table = auto</c> is what the router does anyway; a table number or
/// name is not carried over (the router's routes go to the main table, a full tunnel's default route to the table
/// numbered by the mark);</item>
/// <item>a Routing stage that routes only the interface's own addresses back to it (<c>ConnectedRoutes</c> off: a
/// wg-quick address's prefix is the tunnel's network, reached through the peers, not the host behind the TUN) and each
/// peer's allowed prefixes to the peer (<c>PeerRoutes</c>, the default);</item>
/// <item>a WireGuard stage (named like the interface) with the private key in a key file, <c>ListenPort</c> (none given:
/// 0, any free port, as wg picks one), <c>Mtu</c> and the peers (<c>peer1</c>, <c>peer2</c>, ... in file order), each
/// preshared key in a key file of its own; <c>FwMark</c> when given and not off (a mark the stage refuses, above
/// 2147483647 or 253-255, is an error at its line: the stage also uses it as a routing table number);</item>
/// <item>no Firewall: wg-quick filters nothing (its only rules, in full-tunnel mode, guard the host's own address
/// against packets from other interfaces, which the host kernel behind the TUN still does), and the Routing stage
/// already refuses packets from a peer outside its allowed prefixes, as wg's cryptokey routing does.</item>
/// </list>
/// A missing MTU becomes 1420 on both the TUN and the tunnel: wg-quick's own choice for a 1500-byte path (the route's MTU
/// less 80).
/// </summary>
internal static partial class WgQuickImporter
{
    /// <summary>The MTU wg-quick arrives at for a 1500-byte path.</summary>
    public const int DefaultMtu = 1420;

    /// <summary>The WireGuard stage's smallest <c>Mtu</c>.</summary>
    public const int MinTunnelMtu = 576;

    /// <summary>The WireGuard stage's largest <c>Mtu</c> (65535 less the 80 bytes of headers).</summary>
    public const int MaxTunnelMtu = 65535 - 80;

    /// <summary>Plans the import of <paramref name="config"/> into <paramref name="output"/> (a folder, or a .json file whose folder gets the keys).</summary>
    public static ImportPlan Plan(WgQuickConfig config, string sourcePath, string output, List<WgQuickProblem> errors)
    {
        string name = InterfaceName(sourcePath, out string? nameNote);
        string configurationPath;
        string folder;
        if (output.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !Directory.Exists(output))
        {
            configurationPath = Path.GetFullPath(output);
            folder = Path.GetDirectoryName(configurationPath)!;
        }
        else
        {
            folder = Path.GetFullPath(output);
            configurationPath = Path.Combine(folder, name + ".json");
        }

        string keys = Path.Combine(folder, "keys");
        var notes = new List<string>();
        if (nameNote is not null)
        {
            notes.Add(nameNote);
        }

        var files = new List<ImportFile>();
        string file = config.File;
        int mtu = config.Mtu?.Value ?? DefaultMtu;
        if (config.Mtu is { } givenMtu && givenMtu.Value is < MinTunnelMtu or > MaxTunnelMtu)
        {
            errors.Add(new(file, givenMtu.Line, $"MTU {givenMtu.Value} is outside what RouterHost's tunnel takes ({MinTunnelMtu}..{MaxTunnelMtu}); change it in the file and import again"));
        }

        if (mtu < 1280 && config.Addresses.Exists(a => a.Address.AddressFamily == AddressFamily.InterNetworkV6))
        {
            errors.Add(new(file, config.Mtu?.Line ?? 0, $"MTU {mtu} is below 1280, which IPv6 addresses need; raise it or drop the IPv6 Address"));
        }

        string privateKeyFile = Path.Combine(keys, name + ".key");
        files.Add(new ImportFile(privateKeyFile, KeyText(config.PrivateKey!.Value.Value), Secret: true));

        string? table = config.Table?.Value;
        bool tableOff = string.Equals(table, "off", StringComparison.OrdinalIgnoreCase);
        bool tableAuto = table is null || string.Equals(table, "auto", StringComparison.OrdinalIgnoreCase);
        if (config.FwMark is { Value: > 0 } givenMark && FwMarkProblem(givenMark.Value) is { } markProblem)
        {
            errors.Add(new(file, givenMark.Line, $"FwMark {givenMark.Value}: RouterHost's {markProblem}; change it in the file and import again"));
        }

        var emitted = new List<string>();
        string stagePath = "Pipeline:Stages:1";
        string ifacePath = $"Interfaces:{name}";
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("Pipeline");
            json.WriteStartArray("Stages");

            json.WriteStartObject();
            json.WriteString("Type", "Routing");
            json.WriteStartObject("Settings");
            json.WriteBoolean("ConnectedRoutes", false);
            json.WriteStartArray("Routes");
            foreach (WgQuickAddress address in config.Addresses)
            {
                json.WriteStartObject();
                json.WriteString("Destination", $"{address.Address}/{(address.Address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)}");
                json.WriteString("Interface", name);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
            emitted.Add("Pipeline:Stages:0:Type = Routing");
            emitted.Add("Pipeline:Stages:0:Settings:ConnectedRoutes = false");
            emitted.Add("Pipeline:Stages:0:Settings:Routes (each Address as a host route to the interface)");

            json.WriteStartObject();
            json.WriteString("Type", "WireGuard");
            json.WriteString("Name", name);
            json.WriteStartObject("Settings");
            json.WriteString("PrivateKeyFile", privateKeyFile);
            notes.Add($"{file}:{config.PrivateKey.Value.Line}: PrivateKey -> {stagePath}:Settings:PrivateKeyFile ({privateKeyFile}, mode 0600)");
            json.WriteNumber("ListenPort", config.ListenPort?.Value ?? 0);
            notes.Add(config.ListenPort is { } port
                ? $"{file}:{port.Line}: ListenPort -> {stagePath}:Settings:ListenPort"
                : $"{file}: no ListenPort: {stagePath}:Settings:ListenPort = 0 (a free port chosen at start, as wg does; 'routerhost show' prints it)");
            json.WriteNumber("Mtu", mtu);
            emitted.AddRange([$"{stagePath}:Type = WireGuard", $"{stagePath}:Name = {name}", $"{stagePath}:Settings:PrivateKeyFile", $"{stagePath}:Settings:ListenPort", $"{stagePath}:Settings:Mtu"]);
            if (config.FwMark is { Value: > 0 } fwmark)
            {
                json.WriteNumber("FwMark", fwmark.Value);
                emitted.Add($"{stagePath}:Settings:FwMark");
                notes.Add($"{file}:{fwmark.Line}: FwMark -> {stagePath}:Settings:FwMark = {fwmark.Value} (SO_MARK on the tunnel's sockets; a full tunnel's routing table and policy rules use it too, as wg-quick's do)");
            }
            else if (config.FwMark is { } fwmarkOff)
            {
                notes.Add($"{file}:{fwmarkOff.Line}: FwMark off: nothing to write (no mark; a full tunnel marks its sockets with the listen port, as wg-quick numbers its table 51820)");
            }

            json.WriteStartObject("Peers");
            for (int i = 0; i < config.Peers.Count; i++)
            {
                WgQuickPeer peer = config.Peers[i];
                string peerName = $"peer{i + 1}";
                string peerPath = $"{stagePath}:Settings:Peers:{peerName}";
                json.WriteStartObject(peerName);
                json.WriteString("PublicKey", WireGuardKey.Format(peer.PublicKey!.Value.Value));
                notes.Add($"{file}:{peer.Line}: [Peer] -> {peerPath}");
                if (peer.PresharedKey is { } psk)
                {
                    string pskFile = Path.Combine(keys, $"{name}.{peerName}.psk");
                    files.Add(new ImportFile(pskFile, KeyText(psk.Value), Secret: true));
                    json.WriteString("PresharedKeyFile", pskFile);
                    notes.Add($"{file}:{psk.Line}: PresharedKey -> {peerPath}:PresharedKeyFile ({pskFile}, mode 0600)");
                }

                if (peer.Endpoint is { } endpoint)
                {
                    json.WriteString("Endpoint", endpoint.ToString());
                }

                json.WriteStartArray("AllowedIPs");
                foreach (WgQuickPrefix prefix in peer.AllowedIPs)
                {
                    json.WriteStringValue(prefix.ToString());
                    if (prefix.PrefixLength == 0 && tableOff)
                    {
                        notes.Add($"{file}:{prefix.Line}: AllowedIPs {prefix} -> {peerPath}:AllowedIPs: no default route through the tunnel (Table = off, so {ifacePath}:KernelRoutes is false), as wg-quick adds none");
                    }
                    else if (prefix.PrefixLength == 0)
                    {
                        string mark = config.FwMark is { Value: > 0 } markLine ? markLine.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "the listen port";
                        notes.Add($"{file}:{prefix.Line}: AllowedIPs {prefix} (full tunnel) -> {peerPath}:AllowedIPs: the router marks the tunnel's sockets ({mark}), puts the default route through {name} into the table of that number and adds wg-quick's policy rules (not fwmark -> that table; main with suppress_prefixlength 0), removing them at stop");
                    }
                }

                json.WriteEndArray();
                if (peer.PersistentKeepalive is { Value: > 0 } keepalive)
                {
                    json.WriteString("PersistentKeepalive", $"{keepalive.Value}s");
                }

                json.WriteEndObject();
                emitted.Add($"{peerPath}:PublicKey, PresharedKeyFile, Endpoint, AllowedIPs, PersistentKeepalive (as given)");
            }

            json.WriteEndObject(); // Peers
            json.WriteEndObject(); // Settings
            json.WriteEndObject(); // stage
            json.WriteEndArray();
            json.WriteEndObject(); // Pipeline

            json.WriteStartObject("Interfaces");
            json.WriteStartObject(name);
            json.WriteString("Backend", "LinuxTun");
            if (tableOff)
            {
                json.WriteBoolean("KernelRoutes", false);
                emitted.Add($"{ifacePath}:KernelRoutes = false");
            }

            json.WriteStartObject("Settings");
            json.WriteString("DeviceName", name);
            json.WriteNumber("Mtu", mtu);
            json.WriteStartArray("Addresses");
            foreach (WgQuickAddress address in config.Addresses)
            {
                json.WriteStringValue(address.ToString());
                notes.Add($"{file}:{address.Line}: Address {address} -> {ifacePath}:Settings:Addresses");
            }

            json.WriteEndArray();
            if (tableOff)
            {
                notes.Add($"{file}:{config.Table!.Value.Line}: Table = {table} -> {ifacePath}:KernelRoutes = false: no kernel routes for the peers' AllowedIPs and no full tunnel, as wg-quick adds none");
            }
            else if (tableAuto)
            {
                notes.Add(config.Table is { } auto
                    ? $"{file}:{auto.Line}: Table = auto: nothing to write; the peers' AllowedIPs become kernel routes on {name} ({ifacePath}:KernelRoutes, on by default), as wg-quick adds them"
                    : $"peers' AllowedIPs: kernel routes on {name} added by the router ({ifacePath}:KernelRoutes, on by default), as wg-quick adds them");
            }
            else
            {
                notes.Add($"{file}:{config.Table!.Value.Line}: Table = {table} not carried over: RouterHost puts the peers' kernel routes in the main table, and a full tunnel's default route in the table numbered by the FwMark, "
                    + $"so they go there instead of table {table}; to keep the main table free of them, set {ifacePath}:KernelRoutes to false and route into table {table} yourself");
            }

            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            emitted.AddRange([$"{ifacePath}:Backend = LinuxTun", $"{ifacePath}:Settings:DeviceName", $"{ifacePath}:Settings:Mtu", $"{ifacePath}:Settings:Addresses"]);
        }

        notes.Add(config.Mtu is { } m
            ? $"{file}:{m.Line}: MTU {m.Value} -> {ifacePath}:Settings:Mtu and {stagePath}:Settings:Mtu"
            : $"{file}: no MTU: {DefaultMtu} on {ifacePath}:Settings:Mtu and {stagePath}:Settings:Mtu (what wg-quick computes for a 1500-byte path)");
        foreach (WgQuickDropped dropped in config.NotCarried)
        {
            notes.Add($"{file}:{dropped.Line}: {dropped.Key} not carried over: {NotCarriedReason(dropped.Key)}");
        }

        byte[] text = [.. stream.ToArray(), (byte)'\n'];
        files.Insert(0, new ImportFile(configurationPath, text, Secret: false));
        return new ImportPlan(configurationPath, files, notes, emitted);
    }

    /// <summary>Writes the plan: refuses (returning the paths) when any file exists and <paramref name="force"/> is off.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static IReadOnlyList<string> Write(ImportPlan plan, bool force)
    {
        var existing = plan.Files.Where(f => File.Exists(f.Path) || Directory.Exists(f.Path)).Select(f => f.Path).ToList();
        if (existing.Count > 0 && !force)
        {
            return existing;
        }

        foreach (ImportFile file in plan.Files)
        {
            string folder = Path.GetDirectoryName(file.Path)!;
            UnixFileMode folderMode = file.Secret
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
            if (!Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder, folderMode);
                File.SetUnixFileMode(folder, folderMode); // whatever the umask
            }
            else if (file.Secret)
            {
                File.SetUnixFileMode(folder, folderMode);
            }

            // Written beside the target with its final mode from the start, then renamed over it: never readable by others, never half-written.
            string temporary = Path.Combine(folder, $".{Path.GetFileName(file.Path)}.{Environment.ProcessId}.tmp");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(file.Content);
                stream.Flush(flushToDisk: true);
            }

            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, file.Path, overwrite: true);
        }

        return [];
    }

    /// <summary>wg-quick's interface name: the file's name without <c>.conf</c> when it is a valid one (1-15 of [a-zA-Z0-9_=+.-]), else wg0.</summary>
    public static string InterfaceName(string path, out string? note)
    {
        string fileName = Path.GetFileName(path);
        Match match = InterfaceNamePattern().Match(fileName);
        if (match.Success)
        {
            note = null;
            return match.Groups[1].Value;
        }

        note = $"{fileName}: not named like a wg-quick interface (NAME.conf, NAME 1-15 of a-z A-Z 0-9 _ = + . -): the interface and stage are named wg0";
        return "wg0";
    }

    private static string NotCarriedReason(string key) => key switch
    {
        "DNS" => "RouterHost sets no resolver; configure the host's resolver (resolvconf, systemd-resolved) for the tunnel yourself",
        "SaveConfig" => "RouterHost never writes its configuration back; edit the JSON file instead",
        _ => "RouterHost runs no hook commands; run it from the service manager (systemd ExecStartPre=/ExecStartPost=/ExecStopPost=) instead",
    };

    private static byte[] KeyText(byte[] key) => Encoding.ASCII.GetBytes(WireGuardKey.Format(key) + "\n");

    /// <summary>Why the WireGuard stage would refuse <paramref name="mark"/> as its <c>FwMark</c> (its own parser judges), or null.</summary>
    private static string? FwMarkProblem(uint mark)
    {
        IConfigurationRoot probe = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["S:FwMark"] = mark.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            .Build();
        var problems = new List<ConfigurationProblem>();
        WireGuardSettings.ParseFwMark(probe.GetSection("S"), new SettingsReader(problems));
        return problems.Count == 0 ? null : $"FwMark {problems[0].Message}";
    }

    [GeneratedRegex("^([a-zA-Z0-9_=+.-]{1,15})\\.conf$")]
    private static partial Regex InterfaceNamePattern();
}
