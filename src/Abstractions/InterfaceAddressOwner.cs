namespace RouterHost.Abstractions;

/// <summary>Who answers for an interface's addresses.</summary>
public enum InterfaceAddressOwner
{
    /// <summary>
    /// The router itself: packets to these addresses reach the router's pipeline and nobody else sees them (an AF_XDP
    /// interface, whose device gives every IP packet to RouterHost), so the router answers them.
    /// </summary>
    Router,

    /// <summary>
    /// The operating system's network stack on the far side of the device (a TUN or Wintun adapter: the addresses
    /// belong to the host's own interface). The router reaches them through the interface, and the host answers.
    /// </summary>
    HostStack,
}
