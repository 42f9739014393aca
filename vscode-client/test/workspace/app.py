def loadUser(a):
    return a


def save_user(a, b):
    return a + b
