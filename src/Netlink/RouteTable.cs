namespace RouterHost.Netlink;

/// <summary>Reserved routing table identifiers (enum rt_class_t).</summary>
public static class RouteTable
{
    /// <summary>RT_TABLE_UNSPEC.</summary>
    public const int Unspecified = 0;

    /// <summary>RT_TABLE_DEFAULT.</summary>
    public const int Default = 253;

    /// <summary>RT_TABLE_MAIN: where routes go unless told otherwise.</summary>
    public const int Main = 254;

    /// <summary>RT_TABLE_LOCAL: the kernel's local and broadcast routes.</summary>
    public const int Local = 255;
}
