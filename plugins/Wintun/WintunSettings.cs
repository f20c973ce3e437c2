using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Settings;
using static RouterHost.Plugins.Wintun.Interop.Wintun;

namespace RouterHost.Plugins.Wintun;

/// <summary>
/// The Wintun backend's settings (<c>Interfaces:&lt;name&gt;:Settings</c>), parsed with every problem located by key
/// path; unknown keys are errors. See docs/configuration.md ("Wintun backend settings") for each key.
/// </summary>
internal sealed record WintunSettings(
    string AdapterName,
    string TunnelType,
    Guid AdapterGuid,
    WintunAdapterMode Mode,
    int RingCapacity,
    int Mtu,
    IReadOnlyList<WintunAddress> Addresses,
    IReadOnlyList<WintunRoute> Routes,
    TimeSpan ReadSpin,
    long ReadSpinAboveBitsPerSecond)
{
    /// <summary>8 MiB per ring (one for each direction), as wireguard-go uses: about 5,600 full-size packets of slack.</summary>
    public const int DefaultRingCapacity = 0x800000;

    public const string DefaultTunnelType = "RouterHost";

    public const int DefaultMtu = 1500;

    /// <summary>The link the router sees: the adapter's addresses belong to Windows' stack behind it.</summary>
    public InterfaceLink Link =>
        new([.. Addresses.Select(a => new InterfaceAddress(a.Address, a.PrefixLength))], InterfaceAddressOwner.HostStack, Mtu);

    /// <summary>Windows' smallest IPv4 MTU; IPv6 needs 1280.</summary>
    public const int MinMtu = 576;

    public const int MinIPv6Mtu = 1280;

    public const int DefaultSpinMicroseconds = 12;

    public const int DefaultSpinAboveMbps = 800;

    private static readonly string[] s_keys = ["AdapterName", "TunnelType", "Guid", "Mode", "RingCapacity", "Mtu", "Addresses", "Routes", "ReadSpin"];
    private static readonly string[] s_spinKeys = ["Microseconds", "AboveMbps"];
    private static readonly string[] s_routeKeys = ["Destination", "Via", "Metric"];

    /// <summary>Keys other backends have that Wintun deliberately lacks, with why.</summary>
    private static readonly (string Key, string Why)[] s_notHere =
    [
        ("Queues", "Wintun gives an adapter one session, so a Wintun interface has exactly one queue; remove this key"),
        ("Offloads", "Wintun has no offloads (no TSO/USO, no checksum offload); remove this key"),
    ];

    public static WintunSettings Parse(IConfigurationSection settings, string interfaceName, List<ConfigurationProblem> problems)
    {
        var reader = new SettingsReader(problems);
        CheckKeys(settings, reader);

        string adapterName = settings["AdapterName"] is { Length: > 0 } n ? n : interfaceName;
        CheckName(reader, $"{settings.Path}:AdapterName", adapterName, "adapter name");
        string tunnelType = settings["TunnelType"] is { Length: > 0 } t ? t : DefaultTunnelType;
        CheckName(reader, $"{settings.Path}:TunnelType", tunnelType, "tunnel type");

        Guid guid = GuidFor(adapterName);
        if (settings["Guid"] is { } guidText)
        {
            if (!Guid.TryParse(guidText, out guid) || guid == Guid.Empty)
            {
                reader.Problem($"{settings.Path}:Guid", $"must be a GUID other than all zeros, such as 5f3e0b7c-8a51-4d6e-9c2f-1b7a4e6d0c93 (got '{guidText}')");
                guid = GuidFor(adapterName);
            }
        }

        var mode = (WintunAdapterMode)(reader.Choice(settings, "Mode", "create", "open") ?? 0);
        int ring = ReadRingCapacity(settings, reader);
        int mtu = (int)reader.Integer(settings, "Mtu", DefaultMtu, MinMtu, 65535);

        var addresses = new List<WintunAddress>();
        foreach (IConfigurationSection item in SettingsReader.Items(settings.GetSection("Addresses")))
        {
            if (TryParsePrefix(item.Value, out IPAddress? address, out int prefix))
            {
                CheckIPv6Mtu(reader, item.Path, address, mtu);
                addresses.Add(new WintunAddress(address, prefix));
            }
            else
            {
                reader.Problem(item.Path, $"'{item.Value}' is not an address with a prefix length, such as 10.0.0.1/24 or fd00::1/64");
            }
        }

        var routes = new List<WintunRoute>();
        foreach (IConfigurationSection item in SettingsReader.Items(settings.GetSection("Routes")))
        {
            if (ParseRoute(item, reader) is { } route)
            {
                CheckIPv6Mtu(reader, item.Path, route.Destination, mtu);
                routes.Add(route);
            }
        }

        IConfigurationSection spin = settings.GetSection("ReadSpin");
        reader.CheckKeys(spin, s_spinKeys);
        long micros = reader.Integer(spin, "Microseconds", DefaultSpinMicroseconds, 0, 1000);
        long aboveMbps = reader.Integer(spin, "AboveMbps", DefaultSpinAboveMbps, 0, 1_000_000);

        return new WintunSettings(adapterName, tunnelType, guid, mode, ring, mtu, addresses, routes,
            TimeSpan.FromMicroseconds(micros), aboveMbps * 1_000_000);
    }

    /// <summary>
    /// The adapter GUID used when configuration gives none: derived from the adapter name (case-insensitively, as
    /// Windows compares adapter names), so the same adapter comes back with the same GUID on every start and Windows
    /// keeps one network profile for it instead of adding "Network 2", "Network 3", ... (an RFC 9562 version-8 UUID
    /// over SHA-256).
    /// </summary>
    public static Guid GuidFor(string adapterName)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("RouterHost Wintun adapter\0" + adapterName.ToUpperInvariant()), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>
    /// Parses "address/prefix" (<see cref="AddressPrefixText"/>) without a zone: a zone (fe80::1%3) names another
    /// interface, and addresses here always belong to this adapter.
    /// </summary>
    internal static bool TryParsePrefix(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address, out int prefix)
    {
        if (text is not null && text.Contains('%', StringComparison.Ordinal))
        {
            address = null;
            prefix = 0;
            return false;
        }

        return AddressPrefixText.TryParse(text, out address, out prefix);
    }

    private static void CheckKeys(IConfigurationSection settings, SettingsReader reader)
    {
        foreach (IConfigurationSection child in settings.GetChildren())
        {
            bool known = false;
            foreach (string key in s_keys)
            {
                known |= string.Equals(key, child.Key, StringComparison.OrdinalIgnoreCase);
            }

            if (known)
            {
                continue;
            }

            string? why = null;
            foreach (var (key, reason) in s_notHere)
            {
                if (string.Equals(key, child.Key, StringComparison.OrdinalIgnoreCase))
                {
                    why = reason;
                }
            }

            reader.Problem(child.Path, why ?? $"unknown key; expected one of: {string.Join(", ", s_keys)}");
        }
    }

    private static void CheckName(SettingsReader reader, string path, string value, string what)
    {
        bool control = false;
        foreach (char c in value)
        {
            control |= char.IsControl(c);
        }

        if (value.Length >= MAX_ADAPTER_NAME || control || value.Trim().Length != value.Length)
        {
            reader.Problem(path, $"'{value}' is not a usable Wintun {what}: at most {MAX_ADAPTER_NAME - 1} characters, no control characters, no leading or trailing spaces");
        }
    }

    private static int ReadRingCapacity(IConfigurationSection settings, SettingsReader reader)
    {
        string? text = settings["RingCapacity"];
        if (text is null)
        {
            return DefaultRingCapacity;
        }

        string t = text.Trim();
        long scale = 1;
        if (t.EndsWith("KiB", StringComparison.OrdinalIgnoreCase))
        {
            scale = 1024;
            t = t[..^3].TrimEnd();
        }
        else if (t.EndsWith("MiB", StringComparison.OrdinalIgnoreCase))
        {
            scale = 1024 * 1024;
            t = t[..^3].TrimEnd();
        }

        if (long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value <= WINTUN_MAX_RING_CAPACITY)
        {
            value *= scale;
            if (value >= WINTUN_MIN_RING_CAPACITY && value <= WINTUN_MAX_RING_CAPACITY && long.IsPow2(value))
            {
                return (int)value;
            }
        }

        reader.Problem($"{settings.Path}:RingCapacity",
            $"must be a power of two between {WINTUN_MIN_RING_CAPACITY} (128KiB, WINTUN_MIN_RING_CAPACITY) and {WINTUN_MAX_RING_CAPACITY} (64MiB, WINTUN_MAX_RING_CAPACITY) bytes, as a number of bytes or like '8MiB' (got '{text}')");
        return DefaultRingCapacity;
    }

    private static WintunRoute? ParseRoute(IConfigurationSection item, SettingsReader reader)
    {
        string? destinationText = item.Value;
        string? viaText = null;
        int metric = 0;
        string destinationPath = item.Path;
        if (destinationText is null)
        {
            reader.CheckKeys(item, s_routeKeys);
            destinationText = item["Destination"];
            destinationPath = $"{item.Path}:Destination";
            viaText = item["Via"];
            metric = (int)reader.Integer(item, "Metric", 0, 0, 9999);
        }

        if (!TryParsePrefix(destinationText, out IPAddress? destination, out int prefix))
        {
            reader.Problem(destinationPath, $"'{destinationText}' is not a destination prefix, such as 10.1.0.0/16 or fd01::/48");
            return null;
        }

        IPAddress? via = null;
        if (viaText is not null)
        {
            if (!IPAddress.TryParse(viaText, out via) || via.AddressFamily != destination.AddressFamily || viaText.Contains('%', StringComparison.Ordinal))
            {
                string family = destination.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
                reader.Problem($"{item.Path}:Via", $"'{viaText}' is not an {family} next hop for {destination}/{prefix}");
                return null;
            }
        }

        return new WintunRoute(AddressPrefixText.Network(destination, prefix), prefix, via, metric);
    }

    private static void CheckIPv6Mtu(SettingsReader reader, string path, IPAddress address, int mtu)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && mtu < MinIPv6Mtu)
        {
            reader.Problem(path, $"IPv6 needs an MTU of at least {MinIPv6Mtu} (Mtu is {mtu})");
        }
    }
}
