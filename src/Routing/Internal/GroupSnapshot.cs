namespace RouterHost.Routing.Internal;

/// <summary>The route groups of one snapshot: never written again.</summary>
internal sealed class GroupSnapshot(RouteGroup[][] pages, int highWater, int count)
{
    public readonly RouteGroup[][] Pages = pages;
    public readonly int HighWater = highWater;
    public readonly int Count = count;
}
