namespace RouterHost.Netlink;

/// <summary>What <see cref="DeviceConfiguration"/> did with one address or route.</summary>
/// <param name="Kind">Added, adopted, left alone or removed.</param>
/// <param name="What">"address 10.0.0.1/24" or "route 10.8.0.0/16 via 10.0.0.254".</param>
public readonly record struct ConfigurationChange(ConfigurationChangeKind Kind, string What);

/// <summary>The kinds of <see cref="ConfigurationChange"/>.</summary>
public enum ConfigurationChangeKind
{
    /// <summary>Added by this run, marked as RouterHost's.</summary>
    Added,

    /// <summary>Left by an earlier RouterHost run and wanted now: this run removes it at its close.</summary>
    Adopted,

    /// <summary>Wanted, but already there and not RouterHost's: kept, and left in place at close.</summary>
    LeftAlone,

    /// <summary>Left by an earlier RouterHost run and no longer wanted: removed now.</summary>
    LeftoverRemoved,

    /// <summary>
    /// Someone else's IPv4 address shares a subnet with one of RouterHost's, which the kernel would remove with it:
    /// the device's <c>promote_secondaries</c> was turned on first (and stays on), so that address stays.
    /// </summary>
    SecondariesPromoted,

    /// <summary>Added by this run, and no longer wanted when the configuration was applied again (a peer went): removed.</summary>
    Removed,
}
