using System.Net;

namespace RouterHost.Plugins.Wintun;

/// <summary>A route to the adapter: a destination prefix (reduced to its network), optionally via a next hop, with a metric.</summary>
internal sealed record WintunRoute(IPAddress Destination, int PrefixLength, IPAddress? Via, int Metric)
{
    public override string ToString() =>
        $"{Destination}/{PrefixLength}{(Via is null ? string.Empty : $" via {Via}")} metric {Metric}";
}
