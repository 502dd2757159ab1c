//! The reference tree: parse Auspice v2 JSON and place a query on its nearest node.
