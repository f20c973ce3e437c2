namespace RouterHost.Netlink;

/// <summary>IFA_F_* flags of an interface address (linux/if_addr.h).</summary>
[Flags]
public enum AddressFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>IFA_F_SECONDARY (IFA_F_TEMPORARY for IPv6).</summary>
    Secondary = 0x01,

    /// <summary>IFA_F_NODAD: duplicate address detection is skipped.</summary>
    NoDad = 0x02,

    /// <summary>IFA_F_OPTIMISTIC.</summary>
    Optimistic = 0x04,

    /// <summary>IFA_F_DADFAILED.</summary>
    DadFailed = 0x08,

    /// <summary>IFA_F_HOMEADDRESS.</summary>
    HomeAddress = 0x10,

    /// <summary>IFA_F_DEPRECATED.</summary>
    Deprecated = 0x20,

    /// <summary>IFA_F_TENTATIVE: duplicate address detection is still running; not yet usable.</summary>
    Tentative = 0x40,

    /// <summary>IFA_F_PERMANENT.</summary>
    Permanent = 0x80,

    /// <summary>IFA_F_MANAGETEMPADDR.</summary>
    ManageTemporaryAddress = 0x100,

    /// <summary>IFA_F_NOPREFIXROUTE.</summary>
    NoPrefixRoute = 0x200,

    /// <summary>IFA_F_MCAUTOJOIN.</summary>
    MulticastAutoJoin = 0x400,

    /// <summary>IFA_F_STABLE_PRIVACY.</summary>
    StablePrivacy = 0x800,
}
