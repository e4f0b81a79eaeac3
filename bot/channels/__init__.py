"""Chat channels: each translates its platform's updates into dialog inputs and replies back."""
