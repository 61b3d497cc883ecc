"""workdays"""
