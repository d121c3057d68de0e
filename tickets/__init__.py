"""The ticket domain of CONTRACT section 3: raising, updating and working maintenance tickets."""
