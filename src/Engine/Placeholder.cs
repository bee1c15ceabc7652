namespace TcpActors.Engine; internal static class Placeholder {}
