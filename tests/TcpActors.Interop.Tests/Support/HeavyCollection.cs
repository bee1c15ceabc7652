namespace TcpActors.Interop.Tests.Support;

/// <summary>
/// Tests that load the machine (large transfers, many connections, impairment) or measure time: they run one at
/// a time, after the other interop tests, so that neither slows the other and timings mean something.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyCollection
{
    public const string Name = "heavy: one at a time";
}
