using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Settings;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>A route to this interface: a destination prefix, optionally via a next hop, with a metric.</summary>
internal sealed record TunRoute(IPAddress Destination, int PrefixLength, IPAddress? Via, int? Metric)
{
    public override string ToString() =>
        $"{Destination}/{PrefixLength}{(Via is null ? string.Empty : $" via {Via}")}{(Metric is null ? string.Empty : $" metric {Metric}")}";
}

/// <summary>
/// The LinuxTun backend's settings (<c>Interfaces:&lt;name&gt;:Settings</c>), parsed with every problem located
/// by key path:
/// <c>DeviceName</c> (default: the interface name; at most 15 bytes), <c>Queues</c> (default: CPU count),
/// <c>Mtu</c> (default 1500), <c>TxQueueLength</c> (packets the kernel queues for RouterHost to read before it
/// drops; default 1000 — Linux's TUN default of 500 overflows under bursts from a kernel without TSO), <c>Addresses</c> (<c>["10.0.0.1/24", "fd00::1/64"]</c>), <c>Routes</c> (each
/// <c>"10.1.0.0/16"</c> or <c>{ "Destination": "10.2.0.0/16", "Via": "10.0.0.2", "Metric": 100 }</c>),
/// <c>Persist</c> (keep the device after exit), <c>Namespace</c> (create and configure the device inside this
/// named network namespace, as made by <c>ip netns add</c>), <c>Offloads</c> (<c>Enabled</c>, <c>Tso</c>, <c>Uso</c>, <c>Gro</c>;
/// all default true; <c>Enabled: false</c> makes a plain TUN without virtio-net headers).
/// </summary>
internal sealed record TunSettings(
    string DeviceName,
    int Queues,
    int Mtu,
    int TxQueueLength,
    IReadOnlyList<InterfaceAddress> Addresses,
    IReadOnlyList<TunRoute> Routes,
    bool Persist,
    string? Namespace,
    bool OffloadsEnabled,
    bool Tso,
    bool Uso,
    bool Gro)
{
    public const int MaxQueues = 256;

    /// <summary>The link the router sees: the device's addresses belong to the kernel behind the TUN.</summary>
    public InterfaceLink Link => new(Addresses, InterfaceAddressOwner.HostStack, Mtu);

    private static readonly string[] s_keys = ["DeviceName", "Queues", "Mtu", "TxQueueLength", "Addresses", "Routes", "Persist", "Namespace", "Offloads"];
    private static readonly string[] s_offloadKeys = ["Enabled", "Tso", "Uso", "Gro"];
    private static readonly string[] s_routeKeys = ["Destination", "Via", "Metric"];

    public static TunSettings Parse(IConfigurationSection settings, string interfaceName, int defaultQueues, List<ConfigurationProblem> problems)
    {
        var reader = new SettingsReader(problems);
        reader.CheckKeys(settings, s_keys);
        string deviceName = reader.DeviceName(settings, "DeviceName", interfaceName);
        int queues = (int)reader.Integer(settings, "Queues", Math.Clamp(defaultQueues, 1, MaxQueues), 1, MaxQueues);
        int mtu = (int)reader.Integer(settings, "Mtu", 1500, 68, 65535);
        int txQueueLength = (int)reader.Integer(settings, "TxQueueLength", 1000, 1, 1 << 20);

        var addresses = new List<InterfaceAddress>();
        foreach (IConfigurationSection item in SettingsReader.Items(settings.GetSection("Addresses")))
        {
            if (TryParsePrefix(item.Value, out IPAddress? address, out int prefix, host: true))
            {
                if (address.AddressFamily == AddressFamily.InterNetworkV6 && mtu < 1280)
                {
                    reader.Problem(item.Path, $"IPv6 needs an MTU of at least 1280 (Mtu is {mtu})");
                }

                addresses.Add(new InterfaceAddress(address, prefix));
            }
            else
            {
                reader.Problem(item.Path, $"'{item.Value}' is not an address with a prefix length, such as 10.0.0.1/24 or fd00::1/64");
            }
        }

        var routes = new List<TunRoute>();
        foreach (IConfigurationSection item in SettingsReader.Items(settings.GetSection("Routes")))
        {
            if (ParseRoute(item, reader) is { } route)
            {
                routes.Add(route);
            }
        }

        bool persist = reader.Boolean(settings, "Persist", false);
        string? ns = reader.NamespaceName(settings, "Namespace");
        IConfigurationSection offloads = settings.GetSection("Offloads");
        reader.CheckKeys(offloads, s_offloadKeys);
        bool enabled = reader.Boolean(offloads, "Enabled", true);
        bool tso = reader.Boolean(offloads, "Tso", true);
        bool uso = reader.Boolean(offloads, "Uso", true);
        bool gro = reader.Boolean(offloads, "Gro", true);
        return new TunSettings(deviceName, queues, mtu, txQueueLength, addresses, routes, persist, ns, enabled, enabled && tso, enabled && uso, enabled && gro);
    }

    private static TunRoute? ParseRoute(IConfigurationSection item, SettingsReader reader)
    {
        string? destinationText = item.Value;
        string? viaText = null;
        int? metric = null;
        string destinationPath = item.Path;
        if (destinationText is null)
        {
            reader.CheckKeys(item, s_routeKeys);
            destinationText = item["Destination"];
            destinationPath = $"{item.Path}:Destination";
            viaText = item["Via"];
            if (item["Metric"] is { } metricText)
            {
                if (uint.TryParse(metricText, NumberStyles.None, CultureInfo.InvariantCulture, out uint m) && m <= int.MaxValue)
                {
                    metric = (int)m;
                }
                else
                {
                    reader.Problem($"{item.Path}:Metric", $"must be a whole number of at least 0 (got '{metricText}')");
                }
            }
        }

        if (!TryParsePrefix(destinationText, out IPAddress? destination, out int prefix, host: false))
        {
            reader.Problem(destinationPath, $"'{destinationText}' is not a destination prefix, such as 10.1.0.0/16 or fd01::/48");
            return null;
        }

        IPAddress? via = null;
        if (viaText is not null)
        {
            if (!IPAddress.TryParse(viaText, out via) || via.AddressFamily != destination.AddressFamily)
            {
                reader.Problem($"{item.Path}:Via", $"'{viaText}' is not an {(destination.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} next hop for {destination}/{prefix}");
                return null;
            }
        }

        return new TunRoute(AddressPrefixText.Network(destination, prefix), prefix, via, metric);
    }

    /// <summary>
    /// Parses "address/prefix" (<see cref="AddressPrefixText"/>); a route destination (<paramref name="host"/> false)
    /// must not carry an IPv6 zone. The caller reduces a destination to its network.
    /// </summary>
    internal static bool TryParsePrefix(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IPAddress? address, out int prefix, bool host) =>
        AddressPrefixText.TryParse(text, out address, out prefix)
        && (host || address.AddressFamily != AddressFamily.InterNetworkV6 || address.ScopeId == 0);
}
