namespace RouterHost.Routing;

/// <summary>One step of an incremental update: add or remove a route.</summary>
/// <param name="IsRemoval">Whether the route is removed (otherwise added).</param>
/// <param name="Route">The route.</param>
public readonly record struct RouteChange(bool IsRemoval, Route Route)
{
    /// <summary>Adds <paramref name="route"/>.</summary>
    public static RouteChange Add(Route route) => new(false, route);

    /// <summary>Removes <paramref name="route"/> (prefix, port, gateway and metric must all match).</summary>
    public static RouteChange Remove(Route route) => new(true, route);
}
