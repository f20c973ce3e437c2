namespace RouterHost.Abstractions.Routing;

/// <summary>
/// An optional capability of an <see cref="IContainer"/> whose device is how the host's own network stack reaches the
/// router (a TUN): the router gives it the prefixes the host should route into the device — its peers' allowed IPs, as
/// wg-quick adds them — and the container keeps them as kernel routes on the device until it closes (or until the next
/// call: the router calls again with the whole set whenever its peers change).
/// </summary>
public interface IHostRouteTarget
{
    /// <summary>The device as an operator knows it, for messages: <c>TUN device rh0 (namespace blue)</c>.</summary>
    string HostRouteDevice { get; }

    /// <summary>
    /// Makes <paramref name="routes"/> the routes this container keeps on its device for the host, replacing the set of
    /// the previous call; throws with the errno and what to do when the kernel refuses (runs on the control plane,
    /// never on the data path).
    /// </summary>
    void SetHostRoutes(HostRoutes routes);
}
